"""The demo's commissions: steps of `manage.py demo_data`.

The first step, before orders/demo.py, only finds the billing companies that issue the orders'
NF-e; it leaves them in the context as `companies` ({code: Company}).
"""

from commissions.models import Company
from portal.demokit import DemoError, Step

# The billing companies, in the order the monthly requests go through them.
COMPANIES = ("IMB", "IMT", "BRLINK")


def find_companies(ctx):
    ctx.companies = {c.code: c for c in Company.objects.all()}
    missing = set(COMPANIES) - set(ctx.companies)
    if missing:
        raise DemoError(f"Companies missing (run migrate first): {', '.join(sorted(missing))}")


companies_step = Step(build=find_companies)
