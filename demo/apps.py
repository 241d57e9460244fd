from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data set: `manage.py demo_data` and the runner of the area apps' demo steps.

    Last in INSTALLED_APPS, and nothing imports it: it is the one app that may know them all.
    """

    name = "demo"
