"""Row-level security for PostgreSQL, used by migrations. No-ops on SQLite.

Policies read two settings that every transaction sets (see session.py): `ohms.org_id`,
the caller's organisation, and `ohms.rls_bypass`, on for system work. Tables are FORCEd so
the owning role (the application's) is subject to its own policies.
"""

from __future__ import annotations

from alembic import op

_FUNCTIONS = """
CREATE OR REPLACE FUNCTION ohms_current_org() RETURNS uuid LANGUAGE sql STABLE AS
$$ SELECT NULLIF(current_setting('ohms.org_id', true), '')::uuid $$;
CREATE OR REPLACE FUNCTION ohms_rls_bypass() RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT coalesce(current_setting('ohms.rls_bypass', true), 'off') = 'on' $$;
"""


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def install_functions() -> None:
    if _is_postgres():
        op.execute(_FUNCTIONS)


def drop_functions() -> None:
    if _is_postgres():
        op.execute("DROP FUNCTION IF EXISTS ohms_current_org(); "
                   "DROP FUNCTION IF EXISTS ohms_rls_bypass();")


def _enable(table: str) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")


def tenant_table(table: str, column: str = "organization_id", *, enable: bool = True) -> None:
    """Rows visible and writable only inside their own organisation (or system context).
    `enable=False` for a table whose row-level security is already on (a policy changed)."""
    if not _is_postgres():
        return
    if enable:
        _enable(table)
    cond = f"ohms_rls_bypass() OR {column} = ohms_current_org()"
    op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({cond}) WITH CHECK ({cond})")


def system_table(table: str, *, enable: bool = True) -> None:
    """Rows reachable only in system context (sign-in machinery)."""
    if not _is_postgres():
        return
    if enable:
        _enable(table)
    op.execute(f"CREATE POLICY system_only ON {table} "
               "USING (ohms_rls_bypass()) WITH CHECK (ohms_rls_bypass())")


def public_read_table(table: str, own_column: str = "id") -> None:
    """Readable by everyone; changed only by system context or the owning organisation."""
    if not _is_postgres():
        return
    _enable(table)
    own = f"ohms_rls_bypass() OR {own_column} = ohms_current_org()"
    op.execute(f"CREATE POLICY public_read ON {table} FOR SELECT USING (true)")
    op.execute(f"CREATE POLICY own_insert ON {table} FOR INSERT WITH CHECK (ohms_rls_bypass())")
    op.execute(f"CREATE POLICY own_update ON {table} FOR UPDATE USING ({own}) WITH CHECK ({own})")
    op.execute(f"CREATE POLICY own_delete ON {table} FOR DELETE USING (ohms_rls_bypass())")


def parties_table(table: str, *columns: str) -> None:
    """Rows visible and writable only by the organisations their `columns` name (the two
    parties of an exchange between tenants, such as a purchase order's pharmacy and vendor),
    or by system context."""
    if not _is_postgres():
        return
    _enable(table)
    parties = " OR ".join(f"{c} = ohms_current_org()" for c in columns)
    cond = f"ohms_rls_bypass() OR {parties}"
    op.execute(f"CREATE POLICY parties_only ON {table} USING ({cond}) WITH CHECK ({cond})")


def shared_read_table(table: str, owner_column: str) -> None:
    """Readable by every organisation (a vendor's catalogue, its recalls); inserted, changed
    and deleted only by the owning organisation or system context."""
    if not _is_postgres():
        return
    _enable(table)
    own = f"ohms_rls_bypass() OR {owner_column} = ohms_current_org()"
    op.execute(f"CREATE POLICY shared_read ON {table} FOR SELECT USING (true)")
    op.execute(f"CREATE POLICY owner_insert ON {table} FOR INSERT WITH CHECK ({own})")
    op.execute(f"CREATE POLICY owner_update ON {table} FOR UPDATE USING ({own}) "
               f"WITH CHECK ({own})")
    op.execute(f"CREATE POLICY owner_delete ON {table} FOR DELETE USING ({own})")
