"""The side menu and the footer, declared once.

An entry names the page it opens by URL name; whether the user sees it follows from the module
that page's view declares, so the menu never repeats it. An entry whose page is not built yet is
listed in NOT_BUILT and hidden; any other URL name that does not resolve is an error, so a typo
cannot quietly hide a finished screen.
"""

import functools
from dataclasses import dataclass, field

from django.urls import resolve, reverse
from django.utils.translation import gettext_lazy as _

from collaborators.access import required_module

# Screens the menu and the footer already name, whose pages later work adds. A test fails when
# one of them gets routed, so that it is taken off this list and shown.
NOT_BUILT = frozenset(
    {
        "commissions:request",
        "nfreport:list",
        "support:tour",
        "support:faq",
        "support:contact",
        "support:terms",
        "support:policies",
    }
)


@dataclass(frozen=True)
class Entry:
    label: str
    url_name: str = ""
    icon: str = ""
    children: tuple = field(default=())


MENU = (
    Entry(_("Home"), "home", icon="house"),
    Entry(
        _("Information"),
        icon="info",
        children=(Entry(_("Collaborators"), "collaborators:list"),),
    ),
    Entry(_("Order status"), "orders:list", icon="box"),
    Entry(
        _("Commissions"),
        icon="cash",
        children=(
            Entry(_("Track"), "commissions:list"),
            Entry(_("Request"), "commissions:request"),
            Entry(_("Invoice report"), "nfreport:list"),
        ),
    ),
)

FOOTER = (
    Entry(_("Guided tour"), "support:tour"),
    Entry(_("FAQ"), "support:faq"),
    Entry(_("Contact us"), "support:contact"),
    Entry(_("Terms of use"), "support:terms"),
    Entry(_("Return and cancellation policy"), "support:policies"),
)


@dataclass
class MenuItem:
    label: str
    url: str = ""
    icon: str = ""
    active: bool = False
    children: list = field(default_factory=list)


@functools.cache
def page(url_name):
    """(url, module the page's view requires) of a built page, or None for one in NOT_BUILT."""
    if url_name in NOT_BUILT:
        return None
    url = reverse(url_name)  # NoReverseMatch on a typo: loud, not a hidden entry
    return url, required_module(resolve(url).func)


def menu_for(collaborator, path):
    """The entries this collaborator may open, with the one for `path` marked active."""
    items = []
    for entry in MENU:
        if entry.children:
            children = _items(collaborator, entry.children, path)
            if children:
                active = any(c.active for c in children)
                items.append(
                    MenuItem(entry.label, icon=entry.icon, active=active, children=children)
                )
        else:
            items.extend(_items(collaborator, [entry], path))
    return items


def _items(collaborator, entries, path):
    items = []
    for entry in entries:
        built = page(entry.url_name)
        if built is None:
            continue
        url, module = built
        if module is not None and not collaborator.can_open(module):
            continue
        active = path == url if url == "/" else path.startswith(url)
        items.append(MenuItem(entry.label, url, entry.icon, active))
    return items


def footer_links():
    return [MenuItem(e.label, built[0]) for e in FOOTER if (built := page(e.url_name))]
