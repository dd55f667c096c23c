"""The staff dashboard: `python -m web.staff` (Flask app in web/staff/app.py)."""
