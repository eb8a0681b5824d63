"""The statistics of a report: blocks computed from the records for a unit as of the end of its
period, by the same functions as the overview (`overview.overview`), the targets page
(`targets.progress`), the ratings and the tasks statistics, so a figure reads the same in a report
as on the page it comes from.

`compute` returns plain data, ready to be frozen as JSON on a sent report: for each block its rows
of (label, text) and an optional table; and the raw `facts` the narrative draft is written from."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from dangbo.lib import vn
from dangbo.orgs.models import UnitKind, UnitVersion
from dangbo.overview.overview import build_overview
from dangbo.targets.indicators import rating_period
from dangbo.targets.progress import Evaluator, compared, governing_term
from dangbo.tasks.figures import subtree_completion

from .models import Block


@dataclass
class Statistics:
    blocks: dict = field(default_factory=dict)  # {block: {"title", "rows": [[label, text]], "table"}}
    facts: dict = field(default_factory=dict)  # {block: {name: number or text}}

    def as_json(self) -> dict:
        return {"blocks": self.blocks, "facts": self.facts}

    @classmethod
    def from_json(cls, data: dict) -> Statistics:
        return cls(data.get("blocks", {}), data.get("facts", {}))


def _n(value) -> str:
    return vn.format_number(value)


def _percent(value, decimals: int = 2) -> str:
    return vn.format_percent(value, decimals)


def organisation(root: UnitVersion, end: datetime.date):
    """The subtree's units and members on the last day (the overview's figures)."""
    total = build_overview(root, end).total
    m = total.members
    facts = {
        "superiors": total.superiors,
        "grassroots": total.grassroots, "grassroots_committees": total.grassroots_committees,
        "grassroots_cells": total.grassroots_cells, "sub_committees": total.sub_committees,
        "attached_cells": total.attached_cells, "members": m["total"], "official": m["official"],
        "probationary": m["probationary"], "female": m["female"],
    }  # fmt: skip
    rows = []
    if root.kind not in (UnitKind.GRASSROOTS_CELL, UnitKind.ATTACHED_CELL):
        if total.superiors:
            rows.append(["Đảng bộ cấp trên cơ sở", _n(total.superiors)])
        if root.kind == UnitKind.SUPERIOR:
            rows.append(["Tổ chức cơ sở đảng trực thuộc", _n(total.grassroots)])
            rows.append(["Trong đó: đảng bộ cơ sở / chi bộ cơ sở",
                         f"{_n(total.grassroots_committees)} / {_n(total.grassroots_cells)}"])  # fmt: skip
        rows.append(["Đảng bộ bộ phận", _n(total.sub_committees)])
        rows.append(["Chi bộ trực thuộc đảng bộ cơ sở", _n(total.attached_cells)])
    rows += [
        ["Tổng số đảng viên", _n(m["total"])],
        ["Đảng viên chính thức / dự bị", f"{_n(m['official'])} / {_n(m['probationary'])}"],
        ["Đảng viên nữ", _n(m["female"])],
    ]
    return rows, facts


def admissions(evaluator: Evaluator, root: UnitVersion, start: datetime.date, end: datetime.date, year_start):
    """Admissions in the period, since the start of the year and since the start of the term, the
    last held against the resolution's target as `/chi-tieu/` holds it."""
    in_period = evaluator.value("admissions", start, end).value or 0
    in_year = evaluator.value("admissions", year_start, end).value or 0
    facts = {"in_period": in_period, "in_year": in_year}
    rows = [["Kết nạp đảng viên trong kỳ", _n(in_period)]]
    if year_start < start:
        rows.append(["Kết nạp từ đầu năm", _n(in_year)])
    term, owner = governing_term(root.unit_id, end)
    if term is not None:
        since = evaluator.value("admissions", term.starts_on, end).value or 0
        facts.update(term=term.name, since_term=since)
        rows.append([f"Kết nạp từ đầu nhiệm kỳ {term.name}", _n(since)])
        target = next((t for r in term.resolutions.all() for t in r.targets.all() if t.indicator == "admissions"), None)
        if target is not None and compared(target, root.unit_id, owner.unit_id):
            evaluation = evaluator.evaluate(target, term)
            facts.update(target=_n(target.target_value), percent=_percent(evaluation.percent_of_target))
            rows.append(["So với chỉ tiêu Nghị quyết", f"{_n(target.target_value)} đảng viên; đạt "
                                                         f"{_percent(evaluation.percent_of_target)}"])  # fmt: skip
    return rows, facts


def meetings(evaluator: Evaluator, start: datetime.date, end: datetime.date):
    """The share of cells that kept their meetings in the period (the meetings indicator)."""
    value = evaluator.value("meetings", start, end)
    facts = {"complying": value.numerator or 0, "cells": value.denominator or 0, "percent": _percent(value.value)}
    rows = [["Chi bộ duy trì nền nếp sinh hoạt", f"{_n(facts['complying'])}/{_n(facts['cells'])} chi bộ"],
            ["Tỷ lệ", facts["percent"]]]  # fmt: skip
    return rows, facts


def ratings(evaluator: Evaluator, end: datetime.date):
    """The latest yearly rating round decided by the end of the period."""
    period = rating_period(datetime.date(end.year - 1, 1, 1), end)
    if period is None:
        return [["Chưa có kết quả đánh giá, xếp loại", "—"]], {}
    start = period.ends_on
    tccs = evaluator.value("tccs_good_or_better", start, end)
    failed = evaluator.value("tccs_failed", start, end)
    good = evaluator.value("members_good_or_better", start, end)
    excellent = evaluator.value("members_excellent", start, end)
    facts = {
        "year": period.year or period.ends_on.year, "tccs_good": tccs.numerator, "tccs_rated": tccs.denominator,
        "tccs_good_percent": _percent(tccs.value), "tccs_failed": failed.value,
        "members_good_percent": _percent(good.value), "members_excellent_percent": _percent(excellent.value),
        "members_rated": good.denominator,
    }  # fmt: skip
    rows = [["Năm đánh giá", str(facts["year"])]]
    if tccs.denominator:
        rows.append(["TCCS hoàn thành tốt nhiệm vụ trở lên",
                     f"{_n(tccs.numerator)}/{_n(tccs.denominator)} = {_percent(tccs.value)}"])  # fmt: skip
        rows.append(["TCCS không hoàn thành nhiệm vụ", _n(failed.value or 0)])
    rows += [["Đảng viên hoàn thành tốt nhiệm vụ trở lên", _percent(good.value)],
             ["Trong đó hoàn thành xuất sắc nhiệm vụ", _percent(excellent.value)]]  # fmt: skip
    return rows, facts


def targets(evaluator: Evaluator, root: UnitVersion, end: datetime.date):
    """Every target of the resolution governing the unit, as `/chi-tieu/` shows it."""
    term, owner = governing_term(root.unit_id, end)
    if term is None:
        return [["Chưa có Nghị quyết Đại hội", "—"]], {}, None
    table_rows = []
    for resolution in term.resolutions.prefetch_related("targets").order_by("pk"):
        for target in resolution.targets.all():
            evaluation = evaluator.evaluate(target, term, compared(target, root.unit_id, owner.unit_id))
            value = evaluation.value.value
            shown = "—" if value is None else (
                _percent(value, evaluation.decimals) if target.measure == "%" else _n(value))  # fmt: skip
            goal = _percent(target.target_value, evaluation.decimals) if target.measure == "%" else (
                f"{_n(target.target_value)} {target.measure}")  # fmt: skip
            percent = _percent(evaluation.percent_of_target) if evaluation.percent_of_target is not None else "—"
            table_rows.append([str(target.order), target.name, goal, shown, percent, evaluation.status_label])
    table = {"columns": ["TT", "Chỉ tiêu", "Mức chỉ tiêu", "Kết quả", "% chỉ tiêu", "Đánh giá"], "rows": table_rows}
    met = sum(1 for row in table_rows if row[5] in ("Đạt", "Vượt"))
    return [[f"Chỉ tiêu đạt, vượt (nhiệm kỳ {term.name})", f"{met}/{len(table_rows)}"]], {
        "met": met, "targets": len(table_rows)}, table  # fmt: skip


def tasks(root: UnitVersion, start: datetime.date, end: datetime.date):
    """Tasks of the subtree due in the period (the tasks statistics)."""
    total, _ = subtree_completion(root, start, end, end)
    facts = {"counted": total.counted, "on_time": total.on_time, "late": total.late, "beyond": total.beyond}
    rows = [["Nhiệm vụ đến hạn trong kỳ", _n(total.counted)],
            ["Hoàn thành đúng hạn", f"{_n(total.on_time)} ({_percent(total.on_time_share)})"],
            ["Chậm, quá hạn", _n(total.late)],
            ["Vượt yêu cầu", _n(total.beyond)]]  # fmt: skip
    return rows, facts


def compute(root: UnitVersion, report, blocks, today: datetime.date) -> Statistics:
    """The blocks asked for, for the subtree of `root` (the unit as it stood at the report's end);
    what depends on the day the report is written (who has reported) as of `today`."""
    from .board import board_counts

    starts_on, ends_on = report.starts_on, report.ends_on
    year_start = min(starts_on, datetime.date(ends_on.year, 1, 1))
    evaluator = Evaluator(root.unit_id, ends_on)
    statistics = Statistics()
    for block in blocks:
        table = None
        if block == Block.ORGANISATION:
            rows, facts = organisation(root, ends_on)
        elif block == Block.ADMISSIONS:
            rows, facts = admissions(evaluator, root, starts_on, ends_on, year_start)
        elif block == Block.MEETINGS:
            rows, facts = meetings(evaluator, starts_on, ends_on)
        elif block == Block.RATINGS:
            rows, facts = ratings(evaluator, ends_on)
        elif block == Block.TARGETS:
            rows, facts, table = targets(evaluator, root, ends_on)
        elif block == Block.TASKS:
            rows, facts = tasks(root, starts_on, ends_on)
        elif block == Block.SUBMISSIONS:
            rows, facts = board_counts(root.unit_id, report, today)
            if not facts["expected"]:  # nobody reports to this unit
                continue
        else:
            continue
        statistics.blocks[block] = {"title": Block(block).label, "rows": rows, "table": table}
        statistics.facts[block] = facts
    return statistics
