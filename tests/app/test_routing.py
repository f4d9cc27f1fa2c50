"""Router registration, compiled matching, url_for and middleware composition."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stario.errors import StarioError
from stario.routing import Match, MethodNotAllowed, NotFound, Redirect, Router, RouteTable

Handler = Callable[[Any, Any], Any]
DUMMY: Any = None  # handlers under test ignore their (context, writer) arguments


async def noop(c: Any, w: Any) -> None:
    return None


def table(*routes: tuple[str, str, str]) -> RouteTable:
    """Compile (method, pattern, name) triples, all served by ``noop``."""
    router = Router()
    for method, pattern, name in routes:
        router.handle(method, pattern, noop, name=name)
    return router.compile()


def match(t: RouteTable, path: str, method: str = "GET", host: str = "example.com") -> Match:
    result = t.match(method, host, path)
    assert isinstance(result, Match), result
    return result


def matched_name(t: RouteTable, path: str, method: str = "GET", host: str = "x.test") -> str:
    name = match(t, path, method, host).name
    assert isinstance(name, str)
    return name


# --- basic matching ------------------------------------------------------------------


def test_literal_and_param_routes_match_with_decoded_params() -> None:
    t = table(("GET", "/", "home"), ("GET", "/users/{id}", "user"))
    home = match(t, "/")
    assert (home.name, home.pattern, home.params, home.head_fallback) == ("home", "/", {}, False)
    user = match(t, "/users/J%C3%BCrgen%20K")
    assert (user.pattern, user.params) == ("/users/{id}", {"id": "Jürgen K"})


def test_handler_is_the_registered_one_without_middleware() -> None:
    assert match(table(("GET", "/a", "a")), "/a").handler is noop


def test_encoded_slash_stays_inside_a_param() -> None:
    t = table(("GET", "/users/{id}", "user"), ("GET", "/users/{id}/posts", "posts"))
    assert match(t, "/users/a%2Fb").params == {"id": "a/b"}
    assert match(t, "/users/a%2fposts").name == "user"


def test_literal_segments_are_compared_decoded() -> None:
    t = table(("GET", "/café", "cafe"), ("GET", "/a b", "space"), ("GET", "/100%", "pct"))
    assert matched_name(t, "/caf%C3%A9") == "cafe"
    assert matched_name(t, "/a%20b") == "space"
    assert matched_name(t, "/100%25") == "pct"
    # An encoded slash is data, never a separator: "/a%2Fb" is one segment.
    t2 = table(("GET", "/a/b", "ab"))
    assert isinstance(t2.match("GET", "", "/a%2Fb"), NotFound)


def test_invalid_utf8_escape_is_replaced_not_raised() -> None:
    t = table(("GET", "/u/{id}", "user"))
    assert match(t, "/u/%FF").params == {"id": "\ufffd"}


def test_params_never_match_empty_segments() -> None:
    t = table(("GET", "/a/{x}/b", "axb"))
    assert isinstance(t.match("GET", "", "/a//b"), NotFound)


def test_path_without_leading_slash_is_not_found() -> None:
    t = table(("GET", "/", "home"), ("GET", "/{x}", "x"))
    assert isinstance(t.match("OPTIONS", "", "*"), NotFound)
    assert isinstance(t.match("GET", "", ""), NotFound)


def test_query_string_is_not_part_of_matching_input() -> None:
    # The caller passes only the path; a "?" inside it is just a character.
    t = table(("GET", "/{x}", "x"))
    assert match(t, "/a?b").params == {"x": "a?b"}


# --- catch-all ------------------------------------------------------------------------


def test_catch_all_takes_the_decoded_rest_of_the_path() -> None:
    t = table(("GET", "/files/{path...}", "files"))
    assert match(t, "/files/a").params == {"path": "a"}
    assert match(t, "/files/a/b%20c/d%2Fe").params == {"path": "a/b c/d/e"}
    assert match(t, "/files/a//b").params == {"path": "a//b"}
    assert match(t, "/files//").params == {"path": "/"}
    assert match(t, "/files/dir/").params == {"path": "dir/"}


def test_catch_all_needs_at_least_one_character() -> None:
    t = table(("GET", "/files/{path...}", "files"))
    assert isinstance(t.match("GET", "", "/files"), NotFound)
    assert t.match("GET", "", "/files/") == Redirect("/files")


def test_root_catch_all() -> None:
    t = table(("GET", "/{path...}", "all"))
    assert match(t, "/x/y").params == {"path": "x/y"}
    assert isinstance(t.match("GET", "", "/"), NotFound)


# --- priority and backtracking -----------------------------------------------------------


def test_literal_beats_param_beats_catch_all() -> None:
    t = table(
        ("GET", "/u/{rest...}", "rest"),
        ("GET", "/u/{id}", "id"),
        ("GET", "/u/me", "me"),
    )
    assert matched_name(t, "/u/me") == "me"
    assert matched_name(t, "/u/you") == "id"
    assert matched_name(t, "/u/you/there") == "rest"


def test_backtracks_from_a_dead_literal_branch() -> None:
    t = table(("GET", "/a/b/c", "abc"), ("GET", "/a/{x}/d", "axd"))
    assert matched_name(t, "/a/b/c") == "abc"
    assert match(t, "/a/b/d").params == {"x": "b"}
    assert match(t, "/a/z/d").params == {"x": "z"}


def test_backtracks_to_a_catch_all_after_a_dead_param_branch() -> None:
    t = table(("GET", "/a/{x}/d", "axd"), ("GET", "/a/{rest...}", "rest"), ("GET", "/a/b/c", "abc"))
    assert match(t, "/a/b/e").params == {"rest": "b/e"}
    assert match(t, "/a/b/c/d").params == {"rest": "b/c/d"}
    assert matched_name(t, "/a/b/d") == "axd"


def test_backtracking_leaves_no_stale_params() -> None:
    t = table(("GET", "/{a}/{b}/x", "abx"), ("GET", "/{a}/{rest...}", "rest"))
    assert match(t, "/1/2/y").params == {"a": "1", "rest": "2/y"}


def test_backtracking_considers_the_method() -> None:
    t = table(("GET", "/a/b", "get_ab"), ("POST", "/{x}/b", "post_xb"))
    assert matched_name(t, "/a/b", "POST") == "post_xb"
    assert matched_name(t, "/a/b", "GET") == "get_ab"


def test_many_overlapping_routes_all_reachable() -> None:
    routes = [
        ("GET", "/a", "1"),
        ("GET", "/a/b", "2"),
        ("GET", "/a/{x}", "3"),
        ("GET", "/a/b/c", "4"),
        ("GET", "/a/{x}/c", "5"),
        ("GET", "/a/{x}/{y}", "6"),
        ("GET", "/a/b/{z...}", "7"),
        ("GET", "/{p}/b/c", "8"),
    ]
    t = table(*routes)
    cases = {
        "/a": "1",
        "/a/b": "2",
        "/a/q": "3",
        "/a/b/c": "4",
        "/a/q/c": "5",
        "/a/q/r": "6",
        "/a/b/r": "7",
        "/a/b/c/d": "7",
        "/z/b/c": "8",
    }
    for path, name in cases.items():
        assert matched_name(t, path) == name, path


# --- methods, HEAD and 405 -------------------------------------------------------------


def test_head_falls_back_to_get() -> None:
    t = table(("GET", "/page", "page"))
    m = match(t, "/page", "HEAD")
    assert (m.name, m.head_fallback) == ("page", True)
    assert match(t, "/page", "GET").head_fallback is False


def test_explicit_head_route_wins_over_get() -> None:
    t = table(("GET", "/page", "get"), ("HEAD", "/page", "head"))
    m = match(t, "/page", "HEAD")
    assert (m.name, m.head_fallback) == ("head", False)


def test_head_fallback_through_params_and_catch_all() -> None:
    t = table(("GET", "/u/{id}", "u"), ("GET", "/f/{p...}", "f"))
    assert match(t, "/u/1", "HEAD").params == {"id": "1"}
    assert match(t, "/f/x/y", "HEAD").head_fallback is True


def test_method_not_allowed_lists_sorted_methods_with_head_and_options() -> None:
    t = table(("POST", "/x", "p"), ("GET", "/x", "g"), ("DELETE", "/x", "d"))
    assert t.match("PUT", "", "/x") == MethodNotAllowed(
        ("DELETE", "GET", "HEAD", "OPTIONS", "POST")
    )


def test_head_not_allowed_without_get() -> None:
    t = table(("POST", "/x", "p"))
    assert t.match("HEAD", "", "/x") == MethodNotAllowed(("OPTIONS", "POST"))


def test_allow_is_the_union_over_every_matching_route() -> None:
    t = table(("GET", "/a/b", "g"), ("PUT", "/a/{x}", "p"), ("PATCH", "/a/{rest...}", "r"))
    assert t.match("DELETE", "", "/a/b") == MethodNotAllowed(
        ("GET", "HEAD", "OPTIONS", "PATCH", "PUT")
    )


def test_options_without_a_route_reports_allow() -> None:
    t = table(("GET", "/x", "g"))
    assert t.match("OPTIONS", "", "/x") == MethodNotAllowed(("GET", "HEAD", "OPTIONS"))
    assert isinstance(t.match("OPTIONS", "", "/nothing"), NotFound)


def test_explicit_options_route_matches() -> None:
    t = table(("GET", "/x", "g"), ("OPTIONS", "/x", "o"))
    assert matched_name(t, "/x", "OPTIONS") == "o"


def test_custom_methods_are_upper_cased_at_registration() -> None:
    router = Router()
    router.handle("purge", "/cache", noop, name="purge")
    t = router.compile()
    assert matched_name(t, "/cache", "PURGE") == "purge"
    # HTTP methods are case-sensitive on the wire.
    assert t.match("purge", "", "/cache") == MethodNotAllowed(("OPTIONS", "PURGE"))


def test_every_verb_helper_registers_its_method() -> None:
    router = Router()
    verbs = {
        "GET": router.get,
        "POST": router.post,
        "PUT": router.put,
        "PATCH": router.patch,
        "DELETE": router.delete,
        "HEAD": router.head,
        "OPTIONS": router.options,
    }
    for method, register in verbs.items():
        register("/r", noop, name=method.lower())
    t = router.compile()
    for method in verbs:
        m = match(t, "/r", method)
        assert (m.name, m.head_fallback) == (method.lower(), False)


# --- trailing slash redirect ---------------------------------------------------------


@pytest.mark.parametrize(
    ("raw_path", "location"),
    [
        ("/users/", "/users"),
        ("/users///", "/users"),
        ("/a/b/", "/a/b"),
        ("/nothing/here/", "/nothing/here"),
        ("/a%20b/", "/a%20b"),
        ("//evil.example/", "/evil.example"),
        ("///evil.example//", "/evil.example"),
        ("/\\evil.example/", "/evil.example"),
        ("/\\/evil.example/", "/evil.example"),
        ("///", "/"),
        ("/x\r\nSet-Cookie: a=b/", "/x%0D%0ASet-Cookie:%20a=b"),
        ("/é/", "/%C3%A9"),
    ],
)
def test_trailing_slash_redirects_to_the_path_without_it(raw_path: str, location: str) -> None:
    t = table(("GET", "/users", "users"))
    assert t.match("GET", "", raw_path) == Redirect(location)


def test_root_is_never_redirected() -> None:
    assert isinstance(table(("GET", "/x", "x")).match("GET", "", "/"), NotFound)


def test_a_route_that_matches_wins_over_the_redirect() -> None:
    t = table(("GET", "/static/{p...}", "s"), ("POST", "/form/{x}", "f"))
    assert matched_name(t, "/static/dir/") == "s"
    # "/form/" has an empty last segment, so nothing matches: redirect, not 405.
    assert t.match("GET", "", "/form/") == Redirect("/form")


@given(st.text(alphabet="/\\.%a:@ \r\n", max_size=20))
def test_redirect_location_is_always_same_origin(tail: str) -> None:
    t = table(("GET", "/x", "x"))
    result = t.match("GET", "", "/" + tail)
    if isinstance(result, Redirect):
        loc = result.location
        assert loc.startswith("/")
        assert not loc.startswith("//")
        assert not loc.startswith("/\\")
        assert "\r" not in loc
        assert "\n" not in loc
        assert " " not in loc


# --- host routes -----------------------------------------------------------------------


def test_host_routes_are_tried_first_for_a_matching_host() -> None:
    t = table(
        ("GET", "/users", "any"),
        ("GET", "api.example.com/users", "api"),
        ("GET", "{tenant}.example.com/users", "tenant"),
    )
    assert matched_name(t, "/users", host="api.example.com") == "api"
    m = match(t, "/users", host="acme.example.com")
    assert (m.name, m.params, m.pattern) == (
        "tenant",
        {"tenant": "acme"},
        "{tenant}.example.com/users",
    )
    assert matched_name(t, "/users", host="example.com") == "any"
    assert matched_name(t, "/users", host="a.b.example.com") == "any"
    assert matched_name(t, "/users", host="") == "any"


def test_host_route_falls_back_to_less_specific_tables() -> None:
    t = table(
        ("GET", "api.example.com/only-api", "only_api"),
        ("GET", "{t}.example.com/tenant", "tenant"),
        ("GET", "/shared", "shared"),
    )
    assert matched_name(t, "/tenant", host="api.example.com") == "tenant"
    assert matched_name(t, "/shared", host="api.example.com") == "shared"
    assert isinstance(t.match("GET", "other.test", "/only-api"), NotFound)


def test_host_params_join_path_params() -> None:
    t = table(("GET", "{tenant}.{region}.example.com/u/{id}", "u"))
    m = match(t, "/u/7", host="acme.eu.example.com")
    assert m.params == {"tenant": "acme", "region": "eu", "id": "7"}


def test_literal_host_label_beats_param_label_per_position() -> None:
    t = table(
        ("GET", "{a}.{b}.example.com/", "params"),
        ("GET", "{a}.eu.example.com/", "eu"),
        ("GET", "www.{b}.example.com/", "www"),
    )
    assert matched_name(t, "/", host="www.eu.example.com") == "www"
    assert matched_name(t, "/", host="x.eu.example.com") == "eu"
    assert matched_name(t, "/", host="x.us.example.com") == "params"


def test_host_pattern_literals_are_case_insensitive_and_trailing_dot_ignored() -> None:
    t = table(("GET", "API.Example.COM/", "api"))
    assert matched_name(t, "/", host="api.example.com") == "api"
    assert matched_name(t, "/", host="api.example.com.") == "api"


def test_host_param_needs_a_non_empty_label() -> None:
    t = table(("GET", "{t}.example.com/", "t"))
    assert isinstance(t.match("GET", ".example.com", "/"), NotFound)


def test_method_not_allowed_across_host_and_any_host_routes() -> None:
    t = table(("GET", "api.example.com/x", "g"), ("POST", "/x", "p"))
    assert t.match("PUT", "api.example.com", "/x") == MethodNotAllowed(
        ("GET", "HEAD", "OPTIONS", "POST")
    )
    assert t.match("PUT", "other.test", "/x") == MethodNotAllowed(("OPTIONS", "POST"))
    assert matched_name(t, "/x", "POST", host="api.example.com") == "p"


def test_host_route_redirects_trailing_slash() -> None:
    t = table(("GET", "api.example.com/x", "g"))
    assert t.match("GET", "api.example.com", "/x/") == Redirect("/x")


# --- url_for -----------------------------------------------------------------------------


def test_url_for_quotes_params_and_keeps_catch_all_slashes() -> None:
    t = table(
        ("GET", "/", "home"),
        ("GET", "/users/{id}", "user"),
        ("GET", "/files/{path...}", "files"),
        ("GET", "/café/{x}", "cafe"),
    )
    assert t.url_for("home") == "/"
    assert t.url_for("user", id="a/b c%") == "/users/a%2Fb%20c%25"
    assert t.url_for("user", id=42) == "/users/42"
    assert t.url_for("files", path="a/b c/") == "/files/a/b%20c/"
    assert t.url_for("cafe", x="é") == "/caf%C3%A9/%C3%A9"


def test_url_for_appends_a_query() -> None:
    t = table(("GET", "/s", "s"))
    assert t.url_for("s", query={"q": "a b", "tag": ["x", "y"]}) == "/s?q=a+b&tag=x&tag=y"
    assert t.url_for("s", query=[("a", 1), ("a", 2), ("b", "&")]) == "/s?a=1&a=2&b=%26"
    assert t.url_for("s", query={}) == "/s"


def test_url_for_host_route_returns_the_path_only() -> None:
    t = table(("GET", "{tenant}.example.com/u/{id}", "u"))
    assert t.url_for("u", id="1") == "/u/1"
    with pytest.raises(StarioError, match="unexpected tenant"):
        t.url_for("u", id="1", tenant="acme")


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("nope", {}, "no route named 'nope'"),
        ("user", {}, "missing id"),
        ("user", {"id": "1", "extra": "2"}, "unexpected extra"),
        ("user", {"id": ""}, "is empty"),
        ("user", {"id": None}, "must be str or int"),
        ("user", {"id": True}, "must be str or int"),
        ("files", {"path": ""}, "is empty"),
    ],
)
def test_url_for_errors(name: str, params: dict[str, Any], message: str) -> None:
    t = table(("GET", "/users/{id}", "user"), ("GET", "/files/{path...}", "files"))
    with pytest.raises(StarioError, match=message):
        t.url_for(name, **params)


_text = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=30)
_round_trip = table(
    ("GET", "/p/{a}", "one"),
    ("GET", "/p/{a}/x/{b...}", "two"),
    ("GET", "{h}.example.com/h/{a}", "host"),
)


@given(a=_text)
def test_url_for_then_match_round_trips_a_param(a: str) -> None:
    m = match(_round_trip, _round_trip.url_for("one", a=a), host="")
    assert (m.name, m.params) == ("one", {"a": a})


@given(a=_text, b=_text)
def test_url_for_then_match_round_trips_a_catch_all(a: str, b: str) -> None:
    m = match(_round_trip, _round_trip.url_for("two", a=a, b=b), host="")
    assert (m.name, m.params) == ("two", {"a": a, "b": b})


@given(a=_text, h=st.from_regex(r"[a-z0-9-]{1,10}", fullmatch=True))
def test_url_for_then_match_round_trips_with_a_host_param(a: str, h: str) -> None:
    m = match(_round_trip, _round_trip.url_for("host", a=a), host=f"{h}.example.com")
    assert (m.name, m.params) == ("host", {"h": h, "a": a})


@given(st.text(max_size=40))
def test_match_never_raises_on_arbitrary_paths(tail: str) -> None:
    result = _round_trip.match("GET", "x.example.com", "/" + tail)
    assert isinstance(result, Match | NotFound | MethodNotAllowed | Redirect)


# --- mounting --------------------------------------------------------------------------


def test_mount_prefixes_patterns_and_keeps_names() -> None:
    api = Router()
    api.get("/", noop, name="api_root")
    api.get("/users/{id}", noop, name="api_user")
    app = Router()
    app.mount("/api", api)
    t = app.compile()
    assert match(t, "/api").pattern == "/api"
    m = match(t, "/api/users/3")
    assert (m.pattern, m.name, m.params) == ("/api/users/{id}", "api_user", {"id": "3"})
    assert t.url_for("api_user", id="3") == "/api/users/3"
    assert isinstance(t.match("GET", "", "/users/3"), NotFound)


def test_mount_prefix_with_params_and_nesting() -> None:
    inner = Router()
    inner.get("/items/{item}", noop, name="item")
    team = Router()
    team.mount("/v1", inner)
    app = Router()
    app.mount("/teams/{team}", team)
    t = app.compile()
    m = match(t, "/teams/red/v1/items/9")
    assert (m.pattern, m.params) == ("/teams/{team}/v1/items/{item}", {"team": "red", "item": "9"})
    assert t.url_for("item", team="red", item="9") == "/teams/red/v1/items/9"


def test_mount_at_root_and_host_routes_inside_mounts() -> None:
    sub = Router()
    sub.get("/a", noop, name="a")
    sub.get("api.example.com/b", noop, name="b")
    app = Router()
    app.mount("", sub)
    nested = Router()
    nested.get("api.example.com/", noop, name="c")
    app.mount("/v2", nested)
    t = app.compile()
    assert matched_name(t, "/a") == "a"
    assert match(t, "/b", host="api.example.com").pattern == "api.example.com/b"
    assert match(t, "/v2", host="api.example.com").pattern == "api.example.com/v2"


def test_routes_added_to_a_router_after_mounting_are_included_and_checked() -> None:
    api = Router()
    app = Router()
    app.get("/api/x", noop, name="taken")
    app.mount("/api", api)
    api.get("/late", noop, name="late")
    assert matched_name(app.compile(), "/api/late") == "late"
    with pytest.raises(StarioError, match="duplicate route GET"):
        api.get("/x", noop)
    with pytest.raises(StarioError, match="duplicate route name 'taken'"):
        api.get("/y", noop, name="taken")


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("/api/", "ends with '/'"),
        ("api", "must start with '/'"),
        ("/{rest...}", "catch-all"),
        ("api.example.com/x", "must be a path"),
        ("/a//b", "empty path segment"),
        (None, "must be a string"),
    ],
)
def test_bad_mount_prefixes(prefix: Any, message: str) -> None:
    with pytest.raises(StarioError, match=message) as info:
        Router().mount(prefix, Router())
    assert info.value.help
    assert info.value.example


def test_mount_conflicts_raise_at_mount_time_and_change_nothing() -> None:
    app = Router()
    app.get("/api/users/{id}", noop, name="user")
    dup_route = Router()
    dup_route.get("/users/{uid}", noop)
    dup_route.get("/fine", noop, name="fine")
    with pytest.raises(StarioError, match="duplicate route"):
        app.mount("/api", dup_route)
    # Nothing of the failed mount leaked in, and the router is still mountable elsewhere.
    app.get("/api/fine", noop)
    app.mount("/other", dup_route)
    assert matched_name(app.compile(), "/other/fine") == "fine"
    other = Router()
    other.get("/u", noop, name="user")
    with pytest.raises(StarioError, match="duplicate route name 'user'"):
        app.mount("/x", other)
    clash = Router()
    clash.get("/{team}", noop)
    with pytest.raises(StarioError, match="appears twice"):
        app.mount("/t/{team}", clash)
    params = Router()
    params.post("/users/{uid}", noop)
    with pytest.raises(StarioError, match="conflicts with"):
        app.mount("/api", params)


def test_mounting_twice_into_itself_or_in_a_cycle_fails() -> None:
    app, api, inner = Router(), Router(), Router()
    app.mount("/api", api)
    with pytest.raises(StarioError, match="already mounted"):
        app.mount("/again", api)
    with pytest.raises(StarioError, match="already mounted"):
        app.mount("/self", app)
    api.mount("/inner", inner)
    with pytest.raises(StarioError, match="contains this router"):
        inner.mount("/loop", app)
    with pytest.raises(StarioError, match="needs a Router") as info:
        app.mount("/x", object())  # type: ignore[arg-type]
    assert info.value.help
    assert info.value.example


# --- registration errors ------------------------------------------------------------


def _register(*routes: tuple[str, str]) -> Callable[[], None]:
    def run() -> None:
        router = Router()
        for method, pattern in routes:
            router.handle(method, pattern, noop)

    return run


@pytest.mark.parametrize(
    ("register", "message"),
    [
        (_register(("GET", "/a"), ("GET", "/a")), "duplicate route GET '/a'"),
        (_register(("GET", "/u/{id}"), ("GET", "/u/{name}")), "duplicate route"),
        (_register(("GET", "/f/{a...}"), ("GET", "/f/{b...}")), "duplicate route"),
        (_register(("GET", "{a}.x.com/"), ("GET", "{b}.x.com/")), "duplicate route"),
        (_register(("GET", "/u/{id}/x"), ("GET", "/u/{uid}/y")), "conflicts with"),
        (_register(("GET", "/u/{id}"), ("POST", "/u/{uid}")), "conflicts with"),
        (_register(("GET", "{a}.x.com/"), ("GET", "{b}.x.com/z")), "conflicts with"),
        (_register(("GET", "/f/{p...}/x")), "must be the last segment"),
        (_register(("GET", "/{a}/{a}")), "appears twice"),
        (_register(("GET", "{id}.x.com/{id}")), "appears twice"),
        (_register(("GET", "users")), "must start with '/'"),
        (_register(("GET", "users/{id}")), "must start with '/'"),
        (_register(("GET", "api.example.com")), "must start with '/'"),
        (_register(("GET", "")), "non-empty string"),
        (_register(("GET", "/a//b")), "empty path segment"),
        (_register(("GET", "/a/")), "trailing slash"),
        (_register(("GET", "/u/{id")), "bad braces"),
        (_register(("GET", "/u/id}")), "bad braces"),
        (_register(("GET", "/u/x{id}")), "bad braces"),
        (_register(("GET", "/u/{{id}}")), "bad braces"),
        (_register(("GET", "/u/{}")), "not a Python identifier"),
        (_register(("GET", "/u/{a-b}")), "not a Python identifier"),
        (_register(("GET", "/u/{...}")), "not a Python identifier"),
        (_register(("GET", "/s/{query}")), "reserved"),
        (_register(("GET", "/s?q=1")), "query strings"),
        (_register(("GET", "/a\nb")), "control characters"),
        (_register(("GET", "/a/../b")), "'..'"),
        (_register(("GET", "api.example.com:8000/")), "port"),
        (_register(("GET", "api..example.com/")), "empty host label"),
        (_register(("GET", "{h...}.example.com/")), "catch-all"),
        (_register(("GE T", "/")), "invalid HTTP method"),
        (_register(("", "/")), "invalid HTTP method"),
    ],
)
def test_registration_errors_have_help_and_example(
    register: Callable[[], None], message: str
) -> None:
    with pytest.raises(StarioError, match=message) as info:
        register()
    assert info.value.help
    assert info.value.example


def test_route_argument_errors() -> None:
    router = Router()
    with pytest.raises(StarioError, match="not callable") as info:
        router.get("/", "home")  # type: ignore[arg-type]
    assert info.value.help
    assert info.value.example
    with pytest.raises(StarioError, match="non-empty string") as info:
        router.get("/", noop, name="")
    assert info.value.help
    assert info.value.example
    with pytest.raises(StarioError, match="not callable"):
        router.get("/", noop, middleware=[42])  # type: ignore[list-item]
    with pytest.raises(StarioError, match="not callable"):
        router.get("/", noop, middleware="auth")  # type: ignore[arg-type]
    with pytest.raises(StarioError, match="not callable"):
        router.use(42)  # type: ignore[arg-type]
    with pytest.raises(StarioError, match="not callable"):
        Router(middleware=[None])  # type: ignore[list-item]


def test_failed_registration_leaves_no_trace() -> None:
    router = Router()
    with pytest.raises(StarioError):
        router.get("/u/{id}/x", noop, name="bad", middleware=[42])  # type: ignore[list-item]
    with pytest.raises(StarioError):
        router.get("/a/", noop, name="bad")
    router.get("/u/{uid}/x", noop, name="bad")
    assert matched_name(router.compile(), "/u/1/x") == "bad"


def test_same_param_name_at_same_position_is_fine() -> None:
    t = table(("GET", "/u/{id}", "a"), ("POST", "/u/{id}", "b"), ("GET", "/u/{id}/x", "c"))
    assert matched_name(t, "/u/1", "POST") == "b"
    assert match(t, "/u/1/x").params == {"id": "1"}


# --- middleware ------------------------------------------------------------------------


def recorder(log: list[str], label: str) -> Callable[[Handler], Handler]:
    def middleware(handler: Handler) -> Handler:
        log.append(f"wrap {label}")

        async def wrapped(c: Any, w: Any) -> None:
            log.append(label)
            await handler(c, w)

        return wrapped

    return middleware


async def test_middleware_order_app_mount_router_route() -> None:
    log: list[str] = []

    async def handler(c: Any, w: Any) -> None:
        log.append("handler")

    app_mw = [recorder(log, "app1"), recorder(log, "app2"), recorder(log, "app3")]
    app = Router(middleware=app_mw[:1])
    app.use(*app_mw[1:])
    api = Router(middleware=[recorder(log, "api")])
    v1 = Router()
    v1.use(recorder(log, "v1"))
    v1.get("/x", handler, name="x", middleware=[recorder(log, "route1"), recorder(log, "route2")])
    api.mount("/v1", v1, middleware=[recorder(log, "mount_v1")])
    app.mount("/api", api, middleware=[recorder(log, "mount_api")])
    assert app.middleware == tuple(app_mw)

    t = app.compile()
    wraps = [entry for entry in log if entry.startswith("wrap ")]
    log.clear()
    m = match(t, "/api/v1/x")
    assert log == []  # composition happened at compile(), never per request
    await m.handler(DUMMY, DUMMY)
    assert log == [
        "app1",
        "app2",
        "app3",
        "mount_api",
        "api",
        "mount_v1",
        "v1",
        "route1",
        "route2",
        "handler",
    ]
    assert len(wraps) == 9  # each middleware wrapped the one route exactly once


async def test_head_fallback_uses_the_composed_get_handler() -> None:
    log: list[str] = []
    router = Router(middleware=[recorder(log, "mw")])
    router.get("/", noop)
    t = router.compile()
    log.clear()
    m = match(t, "/", "HEAD")
    assert m.head_fallback
    await m.handler(DUMMY, DUMMY)
    assert log == ["mw"]


def test_middleware_returning_a_non_callable_fails_at_compile() -> None:
    router = Router()

    def broken(handler: Any) -> Any:
        return None

    router.get("/", noop, middleware=[broken])
    with pytest.raises(StarioError, match="must return the wrapped handler"):
        router.compile()


# --- the compiled table ---------------------------------------------------------------


def test_route_table_is_a_frozen_snapshot() -> None:
    router = Router()
    router.get("/a", noop)
    t = router.compile()
    router.get("/b", noop)
    assert isinstance(t.match("GET", "", "/b"), NotFound)
    assert isinstance(router.compile().match("GET", "", "/b"), Match)
    with pytest.raises(AttributeError):
        t._urls = {}
    with pytest.raises(AttributeError):
        t.anything = 1


def test_empty_router_compiles_to_not_found() -> None:
    t = Router().compile()
    assert isinstance(t.match("GET", "", "/"), NotFound)
    assert t.match("GET", "", "/x/") == Redirect("/x")
