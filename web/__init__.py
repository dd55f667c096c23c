"""Web front ends: the patient chat page (web.chat) and the staff dashboard (web.staff)."""
