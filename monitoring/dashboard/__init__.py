"""The monitoring dashboard: one list of panels (`panels.py`) placed in the Azure Monitor workbook
(`workbook.py`, `templates/arm/dashboard-workbook.json.j2`) and drawn locally from the collector (`page.py`)."""
