import datetime, re
from dangbo.lib.http import today
from dangbo.meetings.models import Meeting
from dangbo.orgs.models import UnitVersion, CELL_KINDS

def test_explore(demo, as_user):
    now = UnitVersion.objects.on(today()).filter(kind__in=CELL_KINDS).values_list("unit_id", flat=True)
    ever = UnitVersion.objects.filter(kind__in=CELL_KINDS).values_list("unit_id", flat=True).distinct()
    gone = set(ever) - set(now)
    print(len(set(now)), len(set(ever)), sorted(gone)[:10])
    for u in sorted(gone)[:5]:
        print(list(UnitVersion.objects.filter(unit_id=u).values_list("name","valid_from","valid_to","kind")), Meeting.unscoped.filter(cell_id=u).count())
    moved = [u for u in set(ever) if UnitVersion.objects.filter(unit_id=u).values("parent_id").distinct().count() > 1]
    print("moved", moved[:10])
    c = as_user("khoi")
    for u in sorted(gone)[:3]:
        r = c.get("/sinh-hoat/tuan-thu/?from=2020-01&to=2026-10")
        html = r.content.decode()
        print(u, f"/sinh-hoat/chi-bo/{u}/" in html, c.get(f"/sinh-hoat/chi-bo/{u}/?from=2020-01&to=2026-10").status_code)
        mid = Meeting.unscoped.filter(cell_id=u).values_list("pk", flat=True).first()
        if mid: print("meeting", c.get(f"/sinh-hoat/{mid}/").status_code)
