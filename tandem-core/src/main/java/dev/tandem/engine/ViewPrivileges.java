package dev.tandem.engine;

import dev.tandem.catalog.Catalog;
import dev.tandem.dialect.Ddl;
import dev.tandem.engine.PlanContext.ExpandStage;
import dev.tandem.migration.MigrationException;
import dev.tandem.migration.SourceLocation;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Carries the privileges roles hold on a table to its view in the new version schema, so that an application role
 * that is not the owner works through its version with exactly the rights it had: the same table privileges on the
 * view, the same column privileges on the view's column of that name (and on the shadow column that holds it, which
 * a {@code security_invoker} view reads as the querying role), and USAGE on the version schema. Without USAGE,
 * PostgreSQL silently skips the version schema in the role's search path and its writes land on the table as the
 * previous version's.
 */
final class ViewPrivileges {
    private final PlanContext ctx;
    private final Set<String> roles = new TreeSet<>();

    ViewPrivileges(PlanContext ctx) {
        this.ctx = ctx;
    }

    /**
     * Whether the version's views check privileges and row-level security as the querying role (where the server can).
     * Where it cannot, a table with row-level security is refused, naming why.
     */
    boolean securityInvoker(SourceLocation at) {
        String cannot = ctx.dialect.viewsCannotKeepRowSecurity(ctx.catalog);
        if (cannot != null) {
            for (TableModel t : ctx.tables.values()) {
                if (t.live != null && t.live.rowSecurity() && !t.droppedInNewVersion) {
                    throw new MigrationException(at, "table \"" + t.name + "\" has row-level security, which a version"
                            + " schema's views cannot keep here: " + cannot + ". Upgrade the server, or disable row-level"
                            + " security on the table before this migration");
                }
            }
        }
        return cannot == null;
    }

    /** The steps that give the view of {@code t} the privileges roles hold on the table. */
    void carry(TableModel t, boolean securityInvoker, SourceLocation at) {
        if (t.live == null || t.live.privileges().isEmpty()) return;
        if (securityInvoker) {
            for (Catalog.Privilege p : t.live.privileges()) {
                // A column privilege the role also holds on the whole table adds nothing.
                boolean redundant = t.live.privileges().stream().anyMatch(w -> w.column() == null
                        && w.grantee().equals(p.grantee()) && w.privilege().equals(p.privilege()));
                if (p.column() != null && !redundant) {
                    throw new MigrationException(at, "table \"" + t.name + "\" has row-level security and role " + p.grantee()
                            + " holds privileges on some of its columns only: the version view that keeps row-level"
                            + " security checks every column it shows, so that role could not use it. Grant the role the"
                            + " privilege on the whole table, or revoke it, before this migration");
                }
            }
        }
        List<Ddl.Grant> onView = new ArrayList<>();
        List<Ddl.Grant> onShadows = new ArrayList<>();
        for (Catalog.Privilege p : t.live.privileges()) {
            roles.add(p.grantee());
            if (p.column() == null) {
                onView.add(new Ddl.Grant(p.grantee(), p.privilege(), null, p.grantable()));
                continue;
            }
            TableModel.ColumnModel c = t.columns.stream().filter(m -> m.live != null && m.live.name().equals(p.column()))
                    .findFirst().orElse(null);
            if (c == null) continue; // the new version no longer has the column
            onView.add(new Ddl.Grant(p.grantee(), p.privilege(), c.name, p.grantable()));
            if (c.shadowed()) onShadows.add(new Ddl.Grant(p.grantee(), p.privilege(), c.physical, p.grantable()));
        }
        ctx.expand(ExpandStage.VIEWS, ctx.ddl.grant(ctx.versionSchema, t.name, onView,
                "give view " + ctx.versionSchema + "." + t.name + " the privileges roles hold on table " + t.physical));
        if (!onShadows.isEmpty()) {
            ctx.expand(ExpandStage.VIEWS, ctx.ddl.grant(ctx.schema, t.physical, onShadows,
                    "give the shadow columns of " + t.physical + " the column privileges of the columns they replace"));
        }
    }

    /** USAGE on the version schema for every role that holds a privilege on one of its tables. */
    void grantUsage() {
        if (!roles.isEmpty()) ctx.expand(ExpandStage.VIEWS, ctx.ddl.grantSchemaUsage(ctx.versionSchema, roles));
    }
}
