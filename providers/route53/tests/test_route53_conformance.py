"""The provider conformance suite (tests/provider/conformance.py) for route53, against the
Route 53 fake (fake_route53.py) whose changes land in the sandbox's BIND."""

from conformance import ProviderConformance
from route53_harness import Route53Harness


class TestRoute53Conformance(ProviderConformance):
    harness_class = Route53Harness
