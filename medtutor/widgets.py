"""Interactive explorers for the notebooks (ipywidgets), each built on a plain, unit-tested callback.

Pattern: ``<name>_view(...)`` is a pure function (arrays in, arrays/numbers out) that the tests check;
``<name>_widget(...)`` wires it to sliders. A notebook cell that shows a widget also draws a static
figure from the same callback, so the notebook reads on GitHub and under nbval.
"""

from __future__ import annotations
