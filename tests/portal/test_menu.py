"""The side menu and the footer (portal/menu.py): entries follow their views' modules, and a
URL name that does not resolve is an error unless the page is listed as not built yet."""

import pytest
from django.urls import NoReverseMatch, reverse

from portal import menu
from portal.menu import FOOTER, MENU, NOT_BUILT, Entry, menu_for


def all_entries():
    for entry in (*MENU, *FOOTER):
        yield from (entry.children or (entry,))


def labels(items):
    return [str(item.label) for item in items for item in (item.children or [item])]


def test_every_entry_names_a_routed_page_or_one_listed_as_not_built():
    for entry in all_entries():
        if entry.url_name not in NOT_BUILT:
            assert menu.page(entry.url_name) is not None, entry.url_name


@pytest.mark.parametrize("url_name", sorted(NOT_BUILT))
def test_a_page_listed_as_not_built_is_not_routed_yet(url_name):
    # Once the page exists, take it off NOT_BUILT so that the menu shows it.
    with pytest.raises(NoReverseMatch):
        reverse(url_name)


def test_a_misspelt_url_name_fails_loudly_instead_of_hiding_the_entry(monkeypatch, alice):
    monkeypatch.setattr(menu, "MENU", (Entry("Pedidos", "orders:lsit"),))

    with pytest.raises(NoReverseMatch):
        menu_for(alice, "/")


def test_the_entries_follow_the_modules_their_views_declare(alice, olga, bob):
    home, information, orders, commissions = MENU
    collaborators, track = information.children[0], commissions.children[0]

    assert labels(menu_for(olga, "/")) == [str(home.label), str(orders.label)]
    assert labels(menu_for(bob, "/")) == [str(home.label)]
    assert labels(menu_for(alice, "/")) == [
        str(e.label) for e in (home, collaborators, orders, track)
    ]


def test_the_entry_of_the_current_page_is_active(olga):
    items = menu_for(olga, reverse("orders:list") + "123/")

    assert [item.active for item in items] == [False, True]
