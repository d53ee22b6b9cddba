"""Users, roles, sessions and API tokens. Who may do what is declared once, in `roles.py`."""

from joindots.auth.roles import ROLE_PERMISSIONS, Permission, Role, allowed

__all__ = ["ROLE_PERMISSIONS", "Permission", "Role", "allowed"]
