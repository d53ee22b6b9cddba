"""joindots: joins the dots between agencies' records to find group-based child sexual exploitation."""

__version__ = "0.1.0"
