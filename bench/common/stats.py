"""Summaries (median, min, max) of a benchmark's runs and the aligned
text tables it prints them in."""

import statistics


def summary(values, count="n"):
    """{"median", "min", "max", count: how many}, or None without values."""
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            count: len(values)}


def fmt(s, digits):
    """"median (min-max)" of a summary, "-" without one."""
    if not s:
        return "-"
    return f"{s['median']:.{digits}f} ({s['min']:.{digits}f}-{s['max']:.{digits}f})"


def table(rows):
    """Aligned columns; a shorter row's last cell runs on unaligned."""
    n = len(rows[0])
    w = [max(len(str(r[i])) for r in rows if len(r) == n or i < len(r) - 1) for i in range(n)]
    return ["  " + "  ".join(str(c).ljust(w[i]) if i < len(r) - 1 else str(c)
                             for i, c in enumerate(r)).rstrip() for r in rows]


def paired(a, b, key="busy"):
    """a[key] / b[key] of the runs made in the same round, next to each
    other (A B, B A): host drift slower than a round cancels out. Clean
    rounds when there are any."""
    by_round = lambda runs: {r["round"]: r for r in runs}  # noqa: E731
    ra, rb = by_round(a), by_round(b)
    both = [i for i in ra if i in rb]
    clean = [i for i in both if ra[i]["clean"] and rb[i]["clean"]] or both
    return summary([ra[i][key] / rb[i][key] for i in clean])
