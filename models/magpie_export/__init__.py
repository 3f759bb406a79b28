"""Model tooling: export (PyTorch checkpoint -> pack), quantisation, the download registry.

Nothing here is imported by the app at start-up; torch is needed by export only.
"""
