"""Detector families of :mod:`hrouter.signals.sensitivity` that live in their own modules.

Each module is imported only when its detector first runs (see ``_lazy`` in the
sensitivity module), so importing the tagger stays cheap. They share the helpers of the
sensitivity module (windows, scanning, masks) and return the same hits:
``(start, end, masked, verdict, context)`` in offsets of the normalised text.
"""
