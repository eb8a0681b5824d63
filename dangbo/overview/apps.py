from django.apps import AppConfig


class OverviewConfig(AppConfig):
    """The home page and a unit's overview: the tree with the people in it, above both `orgs` and
    `members` (and the admissions and notices the home page names), so the tree knows no people."""

    name = "dangbo.overview"
    label = "overview"
    verbose_name = "Tổng quan"
