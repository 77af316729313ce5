"""Closed formulas of the M/M/c queue (Erlang C): the yardstick the clearance simulation is checked against.

Poisson arrivals at `arrival_rate` per hour, exponential service at `service_rate` per hour per server,
`servers` servers, first come first served, no limit on the queue. Times are in hours.
"""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class MMc:
    """Steady-state figures of one M/M/c queue."""

    utilisation: float  # rho = lambda / (c mu), share of server time busy
    p_wait: float  # Erlang C: probability that an arrival waits at all
    mean_wait: float  # Wq, hours in the queue
    mean_sojourn: float  # W = Wq + 1/mu, hours from arrival to release
    mean_queue: float  # Lq = lambda Wq (Little)


def _check(arrival_rate: float, service_rate: float, servers: int) -> None:
    if arrival_rate < 0 or service_rate <= 0:
        raise ValueError(f"rates must be arrival >= 0 and service > 0, got {arrival_rate} and {service_rate}")
    if servers < 1 or int(servers) != servers:
        raise ValueError(f"servers must be a whole number >= 1, got {servers}")
    rho = arrival_rate / (servers * service_rate)
    if rho >= 1:
        raise ValueError(f"unstable queue: utilisation lambda/(c mu) = {rho:.3f} >= 1, the queue grows without "
                         "bound (add servers or lower the arrival rate)")


def erlang_c(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Probability that an arrival has to wait (all servers busy)."""
    _check(arrival_rate, service_rate, servers)
    load = arrival_rate / service_rate
    blocked = 1.0  # Erlang B by its recursion B(k) = a B(k-1) / (k + a B(k-1)): no factorials, no overflow
    for k in range(1, servers + 1):
        blocked = load * blocked / (k + load * blocked)
    return servers * blocked / (servers - load * (1 - blocked))


def mmc(arrival_rate: float, service_rate: float, servers: int) -> MMc:
    """Utilisation, probability of waiting, mean wait, mean sojourn and mean queue length."""
    p_wait = erlang_c(arrival_rate, service_rate, servers)
    mean_wait = p_wait / (servers * service_rate - arrival_rate)
    return MMc(utilisation=arrival_rate / (servers * service_rate), p_wait=p_wait, mean_wait=mean_wait,
               mean_sojourn=mean_wait + 1 / service_rate, mean_queue=arrival_rate * mean_wait)


def wait_exceeds(t: float, arrival_rate: float, service_rate: float, servers: int) -> float:
    """P(wait > t) = C exp(-(c mu - lambda) t), t >= 0."""
    return erlang_c(arrival_rate, service_rate, servers) * math.exp(-(servers * service_rate - arrival_rate) * t)


def sojourn_exceeds(t: float, arrival_rate: float, service_rate: float, servers: int) -> float:
    """P(wait + service > t): the share not yet released t hours after arrival.

    The wait is 0 with probability 1 - C, else exponential at theta = c mu - lambda, and independent of the
    service (exponential at mu); the sum of the two exponentials has a closed tail.
    """
    c_wait = erlang_c(arrival_rate, service_rate, servers)
    mu, theta = service_rate, servers * service_rate - arrival_rate
    if math.isclose(theta, mu):
        both = (1 + mu * t) * math.exp(-mu * t)
    else:
        both = (theta * math.exp(-mu * t) - mu * math.exp(-theta * t)) / (theta - mu)
    return (1 - c_wait) * math.exp(-mu * t) + c_wait * both


def servers_needed(arrival_rate: float, service_rate: float, within: float, target_share: float,
                   max_servers: int = 1000) -> int | None:
    """Smallest c that releases `target_share` of arrivals within `within` hours (None above max_servers)."""
    if not 0 < target_share < 1:
        raise ValueError(f"target share must be between 0 and 1, got {target_share}")
    if math.exp(-service_rate * within) > 1 - target_share:
        return None  # the service alone takes too long, however many servers
    c = max(1, math.floor(arrival_rate / service_rate) + 1)  # the smallest stable count
    while c <= max_servers:
        if 1 - sojourn_exceeds(within, arrival_rate, service_rate, c) >= target_share:
            return c
        c += 1
    return None
