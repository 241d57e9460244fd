"""The side menu, declared once. An entry shows only if its page exists and the user may open it."""

from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from collaborators.modules import Module


@dataclass(frozen=True)
class Entry:
    label: str
    url_name: str
    module: str | None = None
    icon: str = ""
    children: tuple = field(default=())


MENU = (
    Entry(_("Home"), "home", icon="house"),
    Entry(
        _("Information"),
        "",
        icon="info",
        children=(Entry(_("Collaborators"), "collaborators:list", Module.COLLABORATORS),),
    ),
    Entry(_("Order status"), "orders:list", Module.ORDERS, icon="box"),
    Entry(
        _("Commissions"),
        "",
        icon="cash",
        children=(
            Entry(_("Track"), "commissions:list", Module.COMMISSIONS_TRACK),
            Entry(_("Request"), "commissions:request", Module.COMMISSIONS_REQUEST),
            Entry(_("Invoice report"), "nfreport:list", Module.NF_REPORT),
        ),
    ),
)


@dataclass
class MenuItem:
    label: str
    url: str = ""
    icon: str = ""
    active: bool = False
    children: list = field(default_factory=list)


def _url(name):
    try:
        return reverse(name)
    except NoReverseMatch:
        return None  # the screen is not built yet


def menu_for(collaborator, path):
    """The entries this collaborator may open, with the one for `path` marked active."""
    items = []
    for entry in MENU:
        if entry.children:
            children = menu_for_entries(collaborator, entry.children, path)
            if children:
                items.append(
                    MenuItem(
                        entry.label,
                        icon=entry.icon,
                        active=any(c.active for c in children),
                        children=children,
                    )
                )
        else:
            items.extend(menu_for_entries(collaborator, [entry], path))
    return items


def menu_for_entries(collaborator, entries, path):
    items = []
    for entry in entries:
        if entry.module and not collaborator.can_open(entry.module):
            continue
        url = _url(entry.url_name)
        if url is None:
            continue
        active = path == url if url == "/" else path.startswith(url)
        items.append(MenuItem(entry.label, url, entry.icon, active))
    return items


FOOTER = (
    Entry(_("Guided tour"), "support:tour"),
    Entry(_("FAQ"), "support:faq"),
    Entry(_("Contact us"), "support:contact"),
    Entry(_("Terms of use"), "support:terms"),
    Entry(_("Return and cancellation policy"), "support:policies"),
)


def footer_links():
    return [MenuItem(e.label, url) for e in FOOTER if (url := _url(e.url_name))]
