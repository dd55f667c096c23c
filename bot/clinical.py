"""Clinical formulas the trial's criteria name.

- Cockcroft-Gault creatinine clearance (inclusion 8: CrCl >= 60 ml/min is an
  alternative to creatinine <= 1.5 x ULN);
- Fridericia's QT correction (exclusion 7: QTcF > 450 ms men / > 470 ms women).

Both raise ValueError on inputs where the formula gives no meaningful answer,
so a caller can never score a patient on a number the formula cannot give.
"""

from __future__ import annotations

import math

#: µmol/L per mg/dL of creatinine.
CREATININE_UMOL_PER_MG_DL = 88.4

_MALE = {"male", "m", "man", "boy"}
_FEMALE = {"female", "f", "woman", "girl"}


def _positive(name: str, value: float) -> float:
    # bool is an int subclass; True is not a weight.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def cockcroft_gault(age_years: float, weight_kg: float, creatinine_umol_l: float, sex: str) -> float:
    """Creatinine clearance in ml/min by the Cockcroft-Gault formula.

    CrCl = (140 - age) x weight / (72 x creatinine in mg/dL), x 0.85 for women.
    Creatinine is taken in µmol/L (the parsers' canonical unit) and divided by
    88.4. Uses actual body weight, as the trial protocol does not say otherwise.

    Raises ValueError for age under 18 (the formula was derived in adults and
    is not valid in children; the trial accepts patients from age 10, whose
    renal function must be judged another way), age of 140 or more, non-positive
    weight or creatinine, and a sex other than male/female.
    """
    age = _positive("age_years", age_years)
    weight = _positive("weight_kg", weight_kg)
    creatinine = _positive("creatinine_umol_l", creatinine_umol_l)
    if age < 18:
        raise ValueError("Cockcroft-Gault is not valid under 18 years of age")
    if age >= 140:
        raise ValueError(f"implausible age: {age_years!r}")
    key = str(sex).strip().lower()
    if key not in _MALE | _FEMALE:
        raise ValueError(f"sex must be 'male' or 'female', got {sex!r}")
    creatinine_mg_dl = creatinine / CREATININE_UMOL_PER_MG_DL
    clearance = (140.0 - age) * weight / (72.0 * creatinine_mg_dl)
    if key in _FEMALE:
        clearance *= 0.85
    return clearance


def fridericia(qt_ms: float, heart_rate_bpm: float | None = None, rr_ms: float | None = None) -> float:
    """QT corrected by Fridericia: QTcF = QT / RR^(1/3), RR in seconds.

    Give exactly one of ``heart_rate_bpm`` (RR = 60 / HR) or ``rr_ms``.
    Raises ValueError for non-positive or missing inputs, or both given.
    """
    qt = _positive("qt_ms", qt_ms)
    if (heart_rate_bpm is None) == (rr_ms is None):
        raise ValueError("give exactly one of heart_rate_bpm or rr_ms")
    if heart_rate_bpm is not None:
        rr_s = 60.0 / _positive("heart_rate_bpm", heart_rate_bpm)
    else:
        rr_s = _positive("rr_ms", rr_ms) / 1000.0
    return qt / rr_s ** (1.0 / 3.0)
