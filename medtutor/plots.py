"""Plotting boilerplate shared by the notebooks, kept here so that the lessons stand out.

Every function draws on a given matplotlib ``Axes`` (or makes a figure) and returns it; none of them
computes anything a lesson teaches.
"""

from __future__ import annotations
