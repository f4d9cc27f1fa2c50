"""The SVG element catalog as ``Tag`` factories, with the camelCase tag names.

``LinearGradient`` renders ``<linearGradient>``, ``FeGaussianBlur`` renders
``<feGaussianBlur>``. An SVG element without children self-closes (``<circle r="4"/>``);
with children it renders open and close tags. Attribute names are written as SVG
spells them (``{"viewBox": "0 0 10 10", "stroke-width": 2}``).
"""

from __future__ import annotations

from stario.html.node import Tag

__all__ = [
    "A",
    "Animate",
    "AnimateMotion",
    "AnimateTransform",
    "Circle",
    "ClipPath",
    "Defs",
    "Desc",
    "Ellipse",
    "FeBlend",
    "FeColorMatrix",
    "FeComponentTransfer",
    "FeComposite",
    "FeConvolveMatrix",
    "FeDiffuseLighting",
    "FeDisplacementMap",
    "FeDistantLight",
    "FeDropShadow",
    "FeFlood",
    "FeFuncA",
    "FeFuncB",
    "FeFuncG",
    "FeFuncR",
    "FeGaussianBlur",
    "FeImage",
    "FeMerge",
    "FeMergeNode",
    "FeMorphology",
    "FeOffset",
    "FePointLight",
    "FeSpecularLighting",
    "FeSpotLight",
    "FeTile",
    "FeTurbulence",
    "Filter",
    "ForeignObject",
    "G",
    "Image",
    "Line",
    "LinearGradient",
    "Marker",
    "Mask",
    "Metadata",
    "Mpath",
    "Path",
    "Pattern",
    "Polygon",
    "Polyline",
    "RadialGradient",
    "Rect",
    "Script",
    "Set",
    "Stop",
    "Style",
    "Svg",
    "Switch",
    "Symbol",
    "Text",
    "TextPath",
    "Title",
    "Tspan",
    "Use",
    "View",
]

# Structure
Svg = Tag("svg", self_closing=True)
G = Tag("g", self_closing=True)
Defs = Tag("defs", self_closing=True)
Symbol = Tag("symbol", self_closing=True)
Use = Tag("use", self_closing=True)
Switch = Tag("switch", self_closing=True)
A = Tag("a", self_closing=True)
View = Tag("view", self_closing=True)

# Shapes
Path = Tag("path", self_closing=True)
Rect = Tag("rect", self_closing=True)
Circle = Tag("circle", self_closing=True)
Ellipse = Tag("ellipse", self_closing=True)
Line = Tag("line", self_closing=True)
Polyline = Tag("polyline", self_closing=True)
Polygon = Tag("polygon", self_closing=True)

# Text
Text = Tag("text", self_closing=True)
Tspan = Tag("tspan", self_closing=True)
TextPath = Tag("textPath", self_closing=True)

# Paint servers, clipping, masking
LinearGradient = Tag("linearGradient", self_closing=True)
RadialGradient = Tag("radialGradient", self_closing=True)
Stop = Tag("stop", self_closing=True)
Pattern = Tag("pattern", self_closing=True)
ClipPath = Tag("clipPath", self_closing=True)
Mask = Tag("mask", self_closing=True)
Marker = Tag("marker", self_closing=True)

# Embedded and descriptive
Image = Tag("image", self_closing=True)
ForeignObject = Tag("foreignObject", self_closing=True)
Title = Tag("title", self_closing=True)
Desc = Tag("desc", self_closing=True)
Metadata = Tag("metadata", self_closing=True)
Script = Tag("script", self_closing=True)
Style = Tag("style", self_closing=True)

# Animation
Animate = Tag("animate", self_closing=True)
AnimateMotion = Tag("animateMotion", self_closing=True)
AnimateTransform = Tag("animateTransform", self_closing=True)
Mpath = Tag("mpath", self_closing=True)
Set = Tag("set", self_closing=True)

# Filters
Filter = Tag("filter", self_closing=True)
FeBlend = Tag("feBlend", self_closing=True)
FeColorMatrix = Tag("feColorMatrix", self_closing=True)
FeComponentTransfer = Tag("feComponentTransfer", self_closing=True)
FeComposite = Tag("feComposite", self_closing=True)
FeConvolveMatrix = Tag("feConvolveMatrix", self_closing=True)
FeDiffuseLighting = Tag("feDiffuseLighting", self_closing=True)
FeDisplacementMap = Tag("feDisplacementMap", self_closing=True)
FeDistantLight = Tag("feDistantLight", self_closing=True)
FeDropShadow = Tag("feDropShadow", self_closing=True)
FeFlood = Tag("feFlood", self_closing=True)
FeFuncA = Tag("feFuncA", self_closing=True)
FeFuncB = Tag("feFuncB", self_closing=True)
FeFuncG = Tag("feFuncG", self_closing=True)
FeFuncR = Tag("feFuncR", self_closing=True)
FeGaussianBlur = Tag("feGaussianBlur", self_closing=True)
FeImage = Tag("feImage", self_closing=True)
FeMerge = Tag("feMerge", self_closing=True)
FeMergeNode = Tag("feMergeNode", self_closing=True)
FeMorphology = Tag("feMorphology", self_closing=True)
FeOffset = Tag("feOffset", self_closing=True)
FePointLight = Tag("fePointLight", self_closing=True)
FeSpecularLighting = Tag("feSpecularLighting", self_closing=True)
FeSpotLight = Tag("feSpotLight", self_closing=True)
FeTile = Tag("feTile", self_closing=True)
FeTurbulence = Tag("feTurbulence", self_closing=True)
