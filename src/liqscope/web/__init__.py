"""The dashboard: static files served by ``liqscope serve``; they read only /api/*."""
