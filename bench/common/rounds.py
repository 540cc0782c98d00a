"""The loop every comparison benchmark runs: subjects alternate within a
round (A B, then B A: drift slower than a round cancels out), and a
subject is run again, round after round, until its runs are enough
(clean) or the rounds run out. A subject that cannot run here is marked
so and left out; one whose run fails is dropped with its error."""

import sys

from bench.common.proc import RunFailed, Unavailable


def first_status(subjects, named, on_request, kvm_subject, accel, about):
    """{subject: "available" or why not}: the on-request subjects run only
    when --subjects named them (named), and kvm_subject (nfos under KVM)
    is skipped under TCG unless named, its figures saying nothing about
    about (the nfos side)."""
    status = {s: "available" for s in subjects}
    if not named:
        for s in on_request:
            status[s] = "not run: name it in --subjects (./nfos bench all does)"
    if kvm_subject in subjects and accel == "tcg" and not named:
        status[kvm_subject] = ("skipped: no usable /dev/kvm, and under TCG its figures say "
                               f"nothing about {about} (name it in --subjects to run it "
                               "anyway)")
    return status


def print_unavailable(subjects, status):
    """A line for each subject that will not run, and why."""
    for s in subjects:
        if status[s] != "available":
            print(f"  {s}: {status[s]}")


def alternate(subjects, status, rounds, enough, run, show, where, rejudge=None):
    """subjects: in order; status: {subject: "available" or why not},
    updated; rounds: at most this many; enough(runs): no more runs wanted;
    run(subject, round) -> a result dict (raises Unavailable or RunFailed);
    show(subject, round, result) prints it; where(subject, round) names a
    failed run in its error line; rejudge(pending), when given, is called
    before each round and at the end (results judged again as what is
    known improves). Returns ({subject: [results, each with its "round"]},
    {subject: the RunFailed that dropped it})."""
    rejudge = rejudge or (lambda pending: None)
    pending, failed = {s: [] for s in subjects}, {}
    for i in range(rounds):
        rejudge(pending)
        want = [s for s in subjects if s in pending and status[s] == "available" and
                not enough(pending[s])]
        if not want:
            break
        for subject in want if i % 2 == 0 else want[::-1]:
            try:
                r = run(subject, i + 1)
            except Unavailable as e:
                status[subject] = f"unavailable: {e}"
                print(f"  {subject}: {status[subject]}")
                continue
            except RunFailed as e:
                print(f"{where(subject, i + 1)}: {e}" + "".join(f"\n    | {l}" for l in e.tail),
                      file=sys.stderr)
                failed[subject] = e
                del pending[subject]
                continue
            r["round"] = i + 1
            pending[subject].append(r)
            show(subject, i + 1, r)
            sys.stdout.flush()
    rejudge(pending)
    return pending, failed
