"""The hardware items and software licenses each department uses (budget forecasts)."""
