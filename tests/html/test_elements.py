"""Element factories, children rules, comments, documents and render()."""

from __future__ import annotations

from typing import Any

import pytest

from stario import html as h
from stario.html import SafeString, Tag, render, svg

# The HTML living standard's current elements (obsolete ones such as <param> excluded).
HTML_TAGS = [
    "a",
    "abbr",
    "address",
    "area",
    "article",
    "aside",
    "audio",
    "b",
    "base",
    "bdi",
    "bdo",
    "blockquote",
    "body",
    "br",
    "button",
    "canvas",
    "caption",
    "cite",
    "code",
    "col",
    "colgroup",
    "data",
    "datalist",
    "dd",
    "del",
    "details",
    "dfn",
    "dialog",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hgroup",
    "hr",
    "html",
    "i",
    "iframe",
    "img",
    "input",
    "ins",
    "kbd",
    "label",
    "legend",
    "li",
    "link",
    "main",
    "map",
    "mark",
    "math",
    "menu",
    "meta",
    "meter",
    "nav",
    "noscript",
    "object",
    "ol",
    "optgroup",
    "option",
    "output",
    "p",
    "picture",
    "pre",
    "progress",
    "q",
    "rp",
    "rt",
    "ruby",
    "s",
    "samp",
    "script",
    "search",
    "section",
    "select",
    "selectedcontent",
    "slot",
    "small",
    "source",
    "span",
    "strong",
    "style",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "template",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "time",
    "title",
    "tr",
    "track",
    "u",
    "ul",
    "var",
    "video",
    "wbr",
]

VOID = [
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
]

SVG_TAGS = [
    "svg",
    "g",
    "defs",
    "symbol",
    "use",
    "switch",
    "a",
    "view",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "textPath",
    "linearGradient",
    "radialGradient",
    "stop",
    "pattern",
    "clipPath",
    "mask",
    "marker",
    "image",
    "foreignObject",
    "title",
    "desc",
    "metadata",
    "script",
    "style",
    "animate",
    "animateMotion",
    "animateTransform",
    "mpath",
    "set",
    "filter",
    "feBlend",
    "feColorMatrix",
    "feComponentTransfer",
    "feComposite",
    "feConvolveMatrix",
    "feDiffuseLighting",
    "feDisplacementMap",
    "feDistantLight",
    "feDropShadow",
    "feFlood",
    "feFuncA",
    "feFuncB",
    "feFuncG",
    "feFuncR",
    "feGaussianBlur",
    "feImage",
    "feMerge",
    "feMergeNode",
    "feMorphology",
    "feOffset",
    "fePointLight",
    "feSpecularLighting",
    "feSpotLight",
    "feTile",
    "feTurbulence",
]


def factory_name(tag: str) -> str:
    return tag[0].upper() + tag[1:]


@pytest.mark.parametrize("tag", HTML_TAGS)
def test_every_html_element_has_a_factory(tag: str) -> None:
    factory = getattr(h, factory_name(tag))
    assert factory.name == tag
    expected = f"<{tag}>" if tag in VOID else f"<{tag}></{tag}>"
    assert str(factory()) == expected


@pytest.mark.parametrize("tag", SVG_TAGS)
def test_every_svg_element_has_its_camel_case_name(tag: str) -> None:
    factory = getattr(svg, factory_name(tag))
    assert str(factory()) == f"<{tag}/>"
    assert str(factory("x")) == f"<{tag}>x</{tag}>"


def test_catalog_spot_checks() -> None:
    assert str(h.H1("Title")) == "<h1>Title</h1>"
    assert str(h.Search(h.Form())) == "<search><form></form></search>"
    assert str(svg.FeGaussianBlur({"stdDeviation": 2})) == '<feGaussianBlur stdDeviation="2"/>'
    assert str(svg.ClipPath({"id": "c"}, svg.Rect())) == '<clipPath id="c"><rect/></clipPath>'
    assert h.Svg is svg.Svg
    assert set(h.__all__) >= {factory_name(t) for t in HTML_TAGS} | {"Svg", "render", "baked"}


@pytest.mark.parametrize("tag", VOID)
def test_void_elements_render_without_closing_tag_and_refuse_children(tag: str) -> None:
    factory = getattr(h, factory_name(tag))
    assert str(factory({"id": "x"})) == f'<{tag} id="x">'
    with pytest.raises(TypeError, match="void element"):
        factory({"id": "x"}, "child")


def test_children_rules() -> None:
    node = h.Div(
        "a<b&c>",
        SafeString("<i>ok</i>"),
        h.Span("s"),
        1,
        2.5,
        None,
        False,
        True,
        ["l1", ("t1", ["deep"])],
        (x for x in ("g1", "g2")),
    )
    assert str(node) == "<div>a&lt;b&amp;c&gt;<i>ok</i><span>s</span>12.5l1t1deepg1g2</div>"


def test_quotes_in_text_stay_readable() -> None:
    assert str(h.P('it\'s "quoted"')) == '<p>it\'s "quoted"</p>'


def test_objects_with_dunder_html_are_inserted_verbatim() -> None:
    class Widget:
        def __html__(self) -> str:
            return "<b>w</b>"

    assert str(h.Div(Widget())) == "<div><b>w</b></div>"


def test_a_dict_after_a_child_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="attribute dicts must come before"):
        h.Div("text", {"id": "x"})
    with pytest.raises(TypeError, match="attribute dicts must come before"):
        h.Div({"id": "x"}, ["text", {"id": "y"}])


@pytest.mark.parametrize(
    ("child", "message"),
    [(h.Br, "call it"), (b"bytes", "decode"), (object(), "unsupported child type")],
)
def test_invalid_children_are_type_errors(child: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        h.Div(child)


def test_element_str_html_repr_and_equality() -> None:
    node = h.Div({"id": "x"}, "y")
    assert str(node) == node.__html__() == '<div id="x">y</div>'
    assert node == h.Div({"id": "x"}, "y")
    assert node != h.Div("y")
    assert hash(node) == hash(h.Div({"id": "x"}, "y"))
    assert "div" in repr(node)


def test_script_contract_for_module_scripts() -> None:
    url = "https://cdn.example/datastar.js?v=1&x=2"
    assert (
        str(h.Script({"type": "module", "src": url}))
        == '<script type="module" src="https://cdn.example/datastar.js?v=1&amp;x=2"></script>'
    )


def test_script_and_style_escape_str_children_and_trust_safe_strings() -> None:
    assert str(h.Script("a < b")) == "<script>a &lt; b</script>"
    assert str(h.Script(SafeString("a < b"))) == "<script>a < b</script>"
    assert str(h.Style(SafeString("p > a {}"))) == "<style>p > a {}</style>"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "<!-- plain -->"),
        ("a-->b", "<!-- a- ->b -->"),
        ("x--!>y", "<!-- x- -!>y -->"),
        ("<!--x", "<!-- <!- -x -->"),
        (">start", "<!-- >start -->"),
        ("->start", "<!-- ->start -->"),
        ("end-", "<!-- end- -->"),
        ("----", "<!-- - - - - -->"),
    ],
)
def test_comment_text_cannot_end_the_comment(text: str, expected: str) -> None:
    assert str(h.Comment(text)) == expected


def test_comment_refuses_non_strings() -> None:
    with pytest.raises(TypeError):
        h.Comment(5)  # type: ignore[arg-type]


def test_html_document_wraps_head_and_body() -> None:
    doc = h.HtmlDocument(h.Head(h.Title("t")), h.Body("b"))
    assert str(doc) == (
        '<!doctype html><html lang="en"><head><title>t</title></head><body>b</body></html>'
    )


def test_html_document_options() -> None:
    assert str(h.HtmlDocument(h.Body(), lang=None)) == "<!doctype html><html><body></body></html>"
    assert str(h.HtmlDocument({"class": "dark", "lang": "fr"}, h.Body())) == (
        '<!doctype html><html lang="fr" class="dark"><body></body></html>'
    )
    root = h.Html({"lang": "de"}, h.Body())
    assert str(h.HtmlDocument(root)) == '<!doctype html><html lang="de"><body></body></html>'


def test_render_and_fragment_join_any_mix() -> None:
    out = render(h.P("a"), "b&", SafeString("<hr>"), [h.Br(), None], 3)
    assert out == "<p>a</p>b&amp;<hr><br>3"
    assert isinstance(out, SafeString)
    assert str(h.Div(out)) == "<div><p>a</p>b&amp;<hr><br>3</div>"
    assert str(h.Fragment(h.P("a"), "b")) == "<p>a</p>b"
    assert render() == ""


def test_custom_tags() -> None:
    widget = Tag("my-widget")
    assert str(widget({"count": 2}, "x")) == '<my-widget count="2">x</my-widget>'
    assert str(Tag("x-icon", void=True)()) == "<x-icon>"
    for bad in ["", "1abc", "a b", "a>b", "a/b", 'a"', "a\x00"]:
        with pytest.raises(ValueError, match="invalid tag name"):
            Tag(bad)


def test_escape_helper() -> None:
    assert h.escape("<a href='x'>&\"") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;"
    assert h.escape(SafeString("<b>")) == "<b>"
    assert SafeString("<b>").__html__() == "<b>"
