"""Thin Qt adapters: they host the Qt-free engines on worker threads and re-emit what
happens there as signals, so widgets only ever run on the GUI thread."""
