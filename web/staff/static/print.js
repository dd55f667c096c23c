// The printable lead summary's "Print" button (no inline script: the CSP allows only files from here).
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
});
