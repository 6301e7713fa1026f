"""The browser chat UI (``python app.py``).

Only `qa.ui.app` imports Gradio (about 3 s of import time); `render`, `uploads` and
`service` are plain Python so they can be unit-tested, and reused by other front ends,
without paying for it. Nothing here is imported by the core `qa` package.
"""
