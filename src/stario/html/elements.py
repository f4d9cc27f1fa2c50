"""The HTML living-standard element catalog as ``Tag`` factories.

Names are the tag in PascalCase (``Div``, ``Textarea``, ``H1``). Void elements
(``Area Base Br Col Embed Hr Img Input Link Meta Source Track Wbr``) render without a
closing tag and refuse children. ``Svg`` lives in ``stario.html.svg`` and is re-exported
by ``stario.html``; ``Math`` is the MathML root.

``Script`` and ``Style`` escape ``str`` children like every element; pass code as
``SafeString`` to have it verbatim.
"""

from __future__ import annotations

from stario.html.node import Tag

__all__ = [
    "H1",
    "H2",
    "H3",
    "H4",
    "H5",
    "H6",
    "A",
    "Abbr",
    "Address",
    "Area",
    "Article",
    "Aside",
    "Audio",
    "B",
    "Base",
    "Bdi",
    "Bdo",
    "Blockquote",
    "Body",
    "Br",
    "Button",
    "Canvas",
    "Caption",
    "Cite",
    "Code",
    "Col",
    "Colgroup",
    "Data",
    "Datalist",
    "Dd",
    "Del",
    "Details",
    "Dfn",
    "Dialog",
    "Div",
    "Dl",
    "Dt",
    "Em",
    "Embed",
    "Fieldset",
    "Figcaption",
    "Figure",
    "Footer",
    "Form",
    "Head",
    "Header",
    "Hgroup",
    "Hr",
    "Html",
    "I",
    "Iframe",
    "Img",
    "Input",
    "Ins",
    "Kbd",
    "Label",
    "Legend",
    "Li",
    "Link",
    "Main",
    "Map",
    "Mark",
    "Math",
    "Menu",
    "Meta",
    "Meter",
    "Nav",
    "Noscript",
    "Object",
    "Ol",
    "Optgroup",
    "Option",
    "Output",
    "P",
    "Picture",
    "Pre",
    "Progress",
    "Q",
    "Rp",
    "Rt",
    "Ruby",
    "S",
    "Samp",
    "Script",
    "Search",
    "Section",
    "Select",
    "Selectedcontent",
    "Slot",
    "Small",
    "Source",
    "Span",
    "Strong",
    "Style",
    "Sub",
    "Summary",
    "Sup",
    "Table",
    "Tbody",
    "Td",
    "Template",
    "Textarea",
    "Tfoot",
    "Th",
    "Thead",
    "Time",
    "Title",
    "Tr",
    "Track",
    "U",
    "Ul",
    "Var",
    "Video",
    "Wbr",
]

# Document and metadata
Html = Tag("html")
Head = Tag("head")
Title = Tag("title")
Base = Tag("base", void=True)
Link = Tag("link", void=True)
Meta = Tag("meta", void=True)
Style = Tag("style")

# Sections
Body = Tag("body")
Article = Tag("article")
Section = Tag("section")
Nav = Tag("nav")
Aside = Tag("aside")
H1 = Tag("h1")
H2 = Tag("h2")
H3 = Tag("h3")
H4 = Tag("h4")
H5 = Tag("h5")
H6 = Tag("h6")
Hgroup = Tag("hgroup")
Header = Tag("header")
Footer = Tag("footer")
Address = Tag("address")
Search = Tag("search")
Main = Tag("main")

# Grouping
P = Tag("p")
Hr = Tag("hr", void=True)
Pre = Tag("pre")
Blockquote = Tag("blockquote")
Ol = Tag("ol")
Ul = Tag("ul")
Menu = Tag("menu")
Li = Tag("li")
Dl = Tag("dl")
Dt = Tag("dt")
Dd = Tag("dd")
Figure = Tag("figure")
Figcaption = Tag("figcaption")
Div = Tag("div")

# Text-level
A = Tag("a")
Em = Tag("em")
Strong = Tag("strong")
Small = Tag("small")
S = Tag("s")
Cite = Tag("cite")
Q = Tag("q")
Dfn = Tag("dfn")
Abbr = Tag("abbr")
Ruby = Tag("ruby")
Rt = Tag("rt")
Rp = Tag("rp")
Data = Tag("data")
Time = Tag("time")
Code = Tag("code")
Var = Tag("var")
Samp = Tag("samp")
Kbd = Tag("kbd")
Sub = Tag("sub")
Sup = Tag("sup")
I = Tag("i")  # noqa: E741 - the <i> element
B = Tag("b")
U = Tag("u")
Mark = Tag("mark")
Bdi = Tag("bdi")
Bdo = Tag("bdo")
Span = Tag("span")
Br = Tag("br", void=True)
Wbr = Tag("wbr", void=True)

# Edits
Ins = Tag("ins")
Del = Tag("del")

# Embedded content
Picture = Tag("picture")
Source = Tag("source", void=True)
Img = Tag("img", void=True)
Iframe = Tag("iframe")
Embed = Tag("embed", void=True)
Object = Tag("object")
Video = Tag("video")
Audio = Tag("audio")
Track = Tag("track", void=True)
Map = Tag("map")
Area = Tag("area", void=True)
Math = Tag("math")

# Tables
Table = Tag("table")
Caption = Tag("caption")
Colgroup = Tag("colgroup")
Col = Tag("col", void=True)
Tbody = Tag("tbody")
Thead = Tag("thead")
Tfoot = Tag("tfoot")
Tr = Tag("tr")
Td = Tag("td")
Th = Tag("th")

# Forms
Form = Tag("form")
Label = Tag("label")
Input = Tag("input", void=True)
Button = Tag("button")
Select = Tag("select")
Datalist = Tag("datalist")
Optgroup = Tag("optgroup")
Option = Tag("option")
Selectedcontent = Tag("selectedcontent")
Textarea = Tag("textarea")
Output = Tag("output")
Progress = Tag("progress")
Meter = Tag("meter")
Fieldset = Tag("fieldset")
Legend = Tag("legend")

# Interactive
Details = Tag("details")
Summary = Tag("summary")
Dialog = Tag("dialog")

# Scripting
Script = Tag("script")
Noscript = Tag("noscript")
Template = Tag("template")
Slot = Tag("slot")
Canvas = Tag("canvas")
