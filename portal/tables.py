import django_tables2 as tables


class PortalTable(tables.Table):
    """Every list's table: Bootstrap classes, and a label on each cell so that on phones the rows
    become cards (see static/css/portal.css)."""

    export_columns = ()

    class Meta:
        template_name = "portal/table.html"
        attrs = {
            "class": "table table-hover align-middle portal-table",
            # django-tables2 passes `bound_column` (by that name) to callables in attrs. A column
            # that sets its own attrs={"td": ...} replaces this, so it must repeat the label.
            "td": {"data-label": lambda bound_column: bound_column.header},
        }

    @classmethod
    def for_list(cls, queryset):
        """The page's queryset: select and prefetch what the cells show."""
        return queryset

    @classmethod
    def for_export(cls, queryset):
        """The report's queryset: annotate what `export_columns` read."""
        return queryset
