from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "dangbo.members"
    verbose_name = "Đảng viên"

    def ready(self):
        # The tree knows no people: it announces its changes, and members answer (receivers.py).
        from dangbo.orgs.signals import tree_changed, unit_dissolving

        from . import receivers

        tree_changed.connect(receivers.refresh_after_tree_change, dispatch_uid="members.refresh_tallies")
        unit_dissolving.connect(receivers.members_still_in, dispatch_uid="members.members_still_in")
