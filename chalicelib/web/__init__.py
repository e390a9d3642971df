"""The browser pages: Jinja2 templates, static assets, and the view models behind them."""
