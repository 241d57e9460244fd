"""What the dashboard tests of every app check a tile with: its link's filters, and the rows
that link shows."""

from urllib.parse import parse_qs, urlsplit


def params(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def rows_behind(client, url):
    """The number of rows the list shows at `url`, paging through all of them."""
    rows, page = 0, 1
    while True:
        # Appended, not passed as `data`: the test client would drop the URL's own query string.
        response = client.get(f"{url}&per_page=100&page={page}")
        assert response.status_code == 200
        assert not response.context["filter"].form.errors
        table_page = response.context["table"].page
        rows += len(table_page.object_list)
        if not table_page.has_next():
            return rows
        page += 1
