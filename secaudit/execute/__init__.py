"""Execution of a plan's probes: the only stage that touches the network (design §2 "execute").

``interface`` defines the seams (a probe runner per family, an executor, an observer);
``local`` is the embedded default executor; ``journal`` keeps every observation on disk
as it arrives so that nothing is lost and a run can be resumed.
"""
