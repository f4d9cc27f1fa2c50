"""Time one 50-row product page with stario.html (plain and @baked), Jinja2, htpy, dominate.

Run from the repository root (needs ``jinja2``, ``htpy`` and ``dominate``):

    .venv/bin/python benchmarks/html_render.py [--repeat 5]

Every library renders the same page from the same prepared data: a header, a nav, and
a table of 50 products with a link, a price, tags and a "Sale" badge decided in Python
beforehand. "stario @baked" calls baked nav-link/row/tag/badge templates in list
comprehensions; "stario @baked .map" renders the same templates with
``template.map(items)``. Jinja2 runs with ``autoescape=True`` and a template compiled
once. Before timing, every output must equal Jinja2's page byte for byte and contain
all 50 product names. Timing runs with the garbage collector on. The result is a
markdown table of microseconds per page and the ratio to Jinja2.
"""

from __future__ import annotations

import argparse
import gc
import html
import sys
import timeit
from collections.abc import Callable
from dataclasses import dataclass

import dominate.tags as dt
import htpy as hp
import jinja2

from stario import html as h

NAV = [("/", "Home"), ("/products", "Products"), ("/about", "About"), ("/cart", "Cart")]


@dataclass(frozen=True, slots=True)
class Product:
    name: str
    price: str
    href: str
    tags: tuple[str, ...]
    badge: str | None


def make_products() -> list[Product]:
    """50 products; names carry '&' so every library has something to escape."""
    words = ("alpha", "beta", "gamma", "delta", "omega")
    return [
        Product(
            name=f"Widget {i} & Sons",
            price=f"{i * 3.5 + 9.99:.2f} EUR",
            href=f"/products/{i}?ref=list&page=1",
            tags=(words[i % 5], words[(i + 2) % 5], "in-stock"),
            badge="Sale" if i % 4 == 0 else None,
        )
        for i in range(50)
    ]


# ---------------------------------------------------------------- stario, plain builder


def stario_plain(products: list[Product]) -> str:
    rows = [
        h.Tr(
            {"class": "product"},
            h.Td(
                h.A({"href": p.href}, p.name),
                h.Span({"class": "badge"}, p.badge) if p.badge else None,
            ),
            h.Td({"class": "price"}, p.price),
            h.Td(h.Ul({"class": "tags"}, [h.Li({"class": "tag"}, t) for t in p.tags])),
        )
        for p in products
    ]
    return h.HtmlDocument(
        h.Head(h.Meta({"charset": "utf-8"}), h.Title("Products")),
        h.Body(
            h.Header(
                {"class": "site-header"},
                h.H1("Shop"),
                h.Nav(h.Ul([h.Li(h.A({"href": href}, label)) for href, label in NAV])),
            ),
            h.Main(
                h.Table(
                    {"class": "products"},
                    h.Thead(h.Tr(h.Th("Name"), h.Th("Price"), h.Th("Tags"))),
                    h.Tbody(rows),
                )
            ),
        ),
    ).__html__()


# ---------------------------------------------------------------- stario, @baked


@h.baked
def baked_tag(name: str) -> h.Element:
    return h.Li({"class": "tag"}, name)


@h.baked
def baked_nav_link(href: str, label: str) -> h.Element:
    return h.Li(h.A({"href": href}, label))


@h.baked
def baked_badge(text: str) -> h.Element:
    return h.Span({"class": "badge"}, text)


@h.baked
def baked_row(name: str, href: str, badge: h.Child, price: str, tags: h.Child) -> h.Element:
    return h.Tr(
        {"class": "product"},
        h.Td(h.A({"href": href}, name), badge),
        h.Td({"class": "price"}, price),
        h.Td(h.Ul({"class": "tags"}, tags)),
    )


@h.baked
def baked_page(nav: h.Child, rows: h.Child) -> h.Element:
    return h.HtmlDocument(
        h.Head(h.Meta({"charset": "utf-8"}), h.Title("Products")),
        h.Body(
            h.Header({"class": "site-header"}, h.H1("Shop"), h.Nav(h.Ul(nav))),
            h.Main(
                h.Table(
                    {"class": "products"},
                    h.Thead(h.Tr(h.Th("Name"), h.Th("Price"), h.Th("Tags"))),
                    h.Tbody(rows),
                )
            ),
        ),
    )


def stario_baked(products: list[Product]) -> str:
    rows = [
        baked_row(
            p.name,
            p.href,
            baked_badge(p.badge) if p.badge else None,
            p.price,
            [baked_tag(t) for t in p.tags],
        )
        for p in products
    ]
    nav = [baked_nav_link(href, label) for href, label in NAV]
    return baked_page(nav, rows).__html__()


def stario_baked_map(products: list[Product]) -> str:
    rows = baked_row.map(
        (
            p.name,
            p.href,
            baked_badge(p.badge) if p.badge else None,
            p.price,
            baked_tag.map(p.tags),
        )
        for p in products
    )
    return baked_page(baked_nav_link.map(NAV), rows).__html__()


# ---------------------------------------------------------------- Jinja2

JINJA_SOURCE = """<!doctype html><html lang="en"><head><meta charset="utf-8">\
<title>Products</title></head><body><header class="site-header"><h1>Shop</h1><nav><ul>\
{% for href, label in nav %}<li><a href="{{ href }}">{{ label }}</a></li>{% endfor %}\
</ul></nav></header><main><table class="products"><thead><tr><th>Name</th><th>Price</th>\
<th>Tags</th></tr></thead><tbody>{% for p in products %}<tr class="product"><td>\
<a href="{{ p.href }}">{{ p.name }}</a>{% if p.badge %}<span class="badge">{{ p.badge }}\
</span>{% endif %}</td><td class="price">{{ p.price }}</td><td><ul class="tags">\
{% for t in p.tags %}<li class="tag">{{ t }}</li>{% endfor %}</ul></td></tr>{% endfor %}\
</tbody></table></main></body></html>"""

JINJA_TEMPLATE = jinja2.Environment(autoescape=True).from_string(JINJA_SOURCE)


def jinja(products: list[Product]) -> str:
    return JINJA_TEMPLATE.render(products=products, nav=NAV)


# ---------------------------------------------------------------- htpy


def htpy_page(products: list[Product]) -> str:
    rows = [
        hp.tr(".product")[
            hp.td[hp.a(href=p.href)[p.name], hp.span(".badge")[p.badge] if p.badge else None],
            hp.td(".price")[p.price],
            hp.td[hp.ul(".tags")[(hp.li(".tag")[t] for t in p.tags)]],
        ]
        for p in products
    ]
    page = hp.html(lang="en")[
        hp.head[hp.meta(charset="utf-8"), hp.title["Products"]],
        hp.body[
            hp.header(".site-header")[
                hp.h1["Shop"],
                hp.nav[hp.ul[(hp.li[hp.a(href=href)[label]] for href, label in NAV)]],
            ],
            hp.main[
                hp.table(".products")[
                    hp.thead[hp.tr[hp.th["Name"], hp.th["Price"], hp.th["Tags"]]],
                    hp.tbody[rows],
                ]
            ],
        ],
    ]
    return str(page)


# ---------------------------------------------------------------- dominate


def dominate_page(products: list[Product]) -> str:
    rows = [
        dt.tr(
            dt.td(
                dt.a(p.name, href=p.href),
                *([dt.span(p.badge, _class="badge")] if p.badge else []),
            ),
            dt.td(p.price, _class="price"),
            dt.td(dt.ul([dt.li(t, _class="tag") for t in p.tags], _class="tags")),
            _class="product",
        )
        for p in products
    ]
    page = dt.html(
        dt.head(dt.meta(charset="utf-8"), dt.title("Products")),
        dt.body(
            dt.header(
                dt.h1("Shop"),
                dt.nav(dt.ul([dt.li(dt.a(label, href=href)) for href, label in NAV])),
                _class="site-header",
            ),
            dt.main(
                dt.table(
                    dt.thead(dt.tr(dt.th("Name"), dt.th("Price"), dt.th("Tags"))),
                    dt.tbody(rows),
                    _class="products",
                )
            ),
        ),
        lang="en",
    )
    return "<!doctype html>" + page.render(pretty=False)


RENDERERS: dict[str, Callable[[list[Product]], str]] = {
    "stario plain": stario_plain,
    "stario @baked": stario_baked,
    "stario @baked .map": stario_baked_map,
    "jinja2": jinja,
    "htpy": htpy_page,
    "dominate": dominate_page,
}


def check(products: list[Product]) -> None:
    """Every renderer must produce the same page, byte for byte, with all 50 escaped
    product names in it."""
    names = [html.escape(p.name, quote=False) for p in products]
    expected = jinja(products)
    missing = [name for name in names if name not in expected]
    assert not missing, f"jinja2: missing {missing[:3]}"
    assert expected.count('class="product"') == len(products)
    for label, render in RENDERERS.items():
        assert render(products) == expected, f"{label} renders a different page than jinja2"


def time_all(products: list[Product], repeat: int) -> dict[str, float]:
    """Best µs per page for each renderer; rounds alternate between renderers so that
    a busy machine slows all of them alike. The garbage collector stays on, as in a
    server: renderers that allocate many objects pay for the collections they cause."""
    timers = {
        label: timeit.Timer(lambda r=r: r(products), setup="gc.enable()", globals={"gc": gc})
        for label, r in RENDERERS.items()
    }
    numbers = {label: timer.autorange()[0] for label, timer in timers.items()}
    best = dict.fromkeys(timers, float("inf"))
    for _ in range(repeat):
        for label, timer in timers.items():
            us = timer.timeit(numbers[label]) / numbers[label] * 1e6
            best[label] = min(best[label], us)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timing rounds (best is kept)")
    args = parser.parse_args()
    products = make_products()
    check(products)
    results = time_all(products, args.repeat)
    base = results["jinja2"]
    print(f"Python {sys.version.split()[0]}, 50-row product page, best of {args.repeat}\n")
    print("| renderer | µs/page | time vs jinja2 |")
    print("|---|---:|---:|")
    for label, us in results.items():
        print(f"| {label} | {us:.1f} | {us / base:.2f}x |")


if __name__ == "__main__":
    main()
