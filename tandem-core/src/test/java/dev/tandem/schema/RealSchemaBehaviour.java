package dev.tandem.schema;

import dev.tandem.testing.Pg;
import dev.tandem.testing.SchemaFixture;
import org.assertj.core.api.SoftAssertions;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the objects of {@code fixtures/real-schema.sql} do, checked through one version of the application: a
 * definition that looks right is not enough, the unique index must still reject a duplicate, the policy still hide
 * the other tenant's rows, the user's trigger still fire once per write. Every assertion is soft and names the
 * object and the version it went through, so that one run lists everything a migration lost.
 */
final class RealSchemaBehaviour {
    /** Each of the user's triggers on orders, fired once: what one INSERT, UPDATE or DELETE of one row must log. */
    private static final Map<String, Long> ONCE_EACH = new TreeMap<>(Map.of(
            "orders_before_row", 1L, "orders_after_row", 1L, "orders_after_stmt", 1L));

    private final SoftAssertions softly;
    private final SchemaFixture fixture;
    private final boolean rowSecurity;
    private final List<Object> accountIds = new ArrayList<>();
    private final List<Object> orderIds = new ArrayList<>();
    private int serial;

    /** @param rowSecurity whether orders' row-level security is enforced (it is disabled on PostgreSQL 14, see the test) */
    RealSchemaBehaviour(SoftAssertions softly, SchemaFixture fixture, boolean rowSecurity) {
        this.softly = softly;
        this.fixture = fixture;
        this.rowSecurity = rowSecurity;
    }

    /**
     * An application's ordinary writes through {@code v}: an account (identity key), an order (serial key) and its
     * update, a line. The user's triggers must fire exactly once each per write, whichever version writes.
     */
    void writes(AppSession v) {
        String tag = "w" + (++serial);
        Object account = accepts(v, "insert into accounts (identity id, column privileges)",
                "INSERT INTO accounts (tenant, email, handle, display_name) VALUES ('a', ?, ?, ?) RETURNING id",
                tag + "@a.example", tag, "Writer " + tag);
        if (account == null) return;
        accountIds.add(account);
        drawnFromTheSequence(v, "accounts", "identity", account);
        Map<String, Long> before = firings();
        Object order = accepts(v, "insert into orders (serial id)",
                "INSERT INTO orders (account_id, tenant, {code}, qty) VALUES (?, 'a', ?, 2) RETURNING id", account, "W-" + tag);
        softly.assertThat(firedSince(before)).as("the user's triggers orders_before_row, orders_after_row and"
                + " orders_after_stmt each fire once for one INSERT into orders through %s", v).isEqualTo(ONCE_EACH);
        if (order == null) return;
        orderIds.add(order);
        drawnFromTheSequence(v, "orders", "serial", order);
        before = firings();
        accepts(v, "update of orders.qty", "UPDATE orders SET qty = qty + 1 WHERE id = ?", order);
        softly.assertThat(firedSince(before)).as("the user's triggers on orders each fire once for one UPDATE of one"
                + " row through %s", v).isEqualTo(ONCE_EACH);
        accepts(v, "insert into order_lines", "INSERT INTO order_lines (order_id, line_no, sku, amount) VALUES (?, 1, ?, 1.25)",
                order, "sku-" + tag);
    }

    /** Keys inserted through both versions are distinct: each version drew them from the column's one sequence. */
    void keysAreDistinct() {
        softly.assertThat(accountIds).as("identity accounts.id: keys inserted through both versions").doesNotHaveDuplicates();
        softly.assertThat(orderIds).as("serial orders.id: keys inserted through both versions").doesNotHaveDuplicates();
    }

    /** The key {@code v} just got is the last value of the sequence the column uses (nothing else inserts meanwhile). */
    private void drawnFromTheSequence(AppSession v, String table, String kind, Object id) {
        Object last = owner("SELECT pg_sequence_last_value(pg_get_serial_sequence(?, 'id')::regclass)",
                qualified(fixture.app, table));
        softly.assertThat(((Number) id).longValue()).as("%s %s.id inserted through %s comes from the column's sequence",
                kind, table, v).isEqualTo(last == null ? null : ((Number) last).longValue());
    }

    /** Every constraint, index and policy of the fixture still does its job for writes through {@code v}. */
    void objectsHold(AppSession v) {
        String tag = "c" + (++serial);
        // Unique constraint and unique index of accounts.
        rejects(v, "23505", "unique constraint accounts_tenant_email_key rejects a second (tenant, email)",
                "INSERT INTO accounts (tenant, email, handle, display_name) VALUES ('a', 'ann@a.example', ?, 'dup')", tag);
        rejects(v, "23505", "unique index accounts_tenant_handle_uq rejects a second (tenant, handle)",
                "INSERT INTO accounts (tenant, email, handle, display_name) VALUES ('a', ?, 'ann', 'dup')", tag + "@a.example");
        // Partial unique index: only within its predicate.
        rejects(v, "23505", "partial unique index orders_open_code_uq rejects a second open order with code A-1",
                "INSERT INTO orders (account_id, tenant, {code}, status) VALUES (1, 'a', 'A-1', 'open')");
        accepts(v, "partial unique index orders_open_code_uq allows code A-1 again outside its predicate (status shipped)",
                "INSERT INTO orders (account_id, tenant, {code}, status) VALUES (1, 'a', 'A-1', 'shipped')");
        // Check constraints.
        rejects(v, "23514", "check orders_qty_positive rejects qty 0",
                "INSERT INTO orders (account_id, tenant, qty) VALUES (1, 'a', 0)");
        rejects(v, "23514", "check order_lines_amount_check rejects a negative amount",
                "INSERT INTO order_lines (order_id, line_no, sku, amount) VALUES (1, ?, 'x', -1)", 100 + serial);
        // Exclusion constraint.
        rejects(v, "23P01", "exclusion constraint orders_area_excl rejects an area overlapping order 1's",
                "INSERT INTO orders (account_id, tenant, area) VALUES (1, 'a', box(point(0.5, 0.5), point(2, 2)))");
        // Foreign keys, referencing side (to this schema, to the other schema) and referenced side.
        rejects(v, "23503", "foreign key orders_account_id_fkey rejects an order of a missing account",
                "INSERT INTO orders (account_id, tenant) VALUES (999999, 'a')");
        rejects(v, "23503", "foreign key orders_warehouse_id_fkey (to the other schema) rejects a missing warehouse",
                "INSERT INTO orders (account_id, tenant, warehouse_id) VALUES (1, 'a', 99)");
        rejects(v, "23503", "foreign key order_lines_order_id_fkey rejects a line of a missing order",
                "INSERT INTO order_lines (order_id, line_no, sku, amount) VALUES (999999, 1, 'x', 1)");
        ownerRejects("23503", "foreign key orders_account_id_fkey keeps an account with orders from being deleted",
                "DELETE FROM " + qualified(fixture.app, "accounts") + " WHERE id = 1");
        ownerRejects("23503", "foreign key warehouses_last_order_id_fkey (from the other schema) rejects a missing order",
                "UPDATE " + qualified(fixture.ref, "warehouses") + " SET last_order_id = 999999 WHERE id = 1");
        Object order = accepts(v, "insert into orders", "INSERT INTO orders (account_id, tenant, status) VALUES (1, 'a',"
                + " 'shipped') RETURNING id");
        if (order != null) {
            accepts(v, "insert into order_lines", "INSERT INTO order_lines (order_id, line_no, sku, amount) VALUES (?, 1, 'x', 1)", order);
            owner("UPDATE " + qualified(fixture.ref, "warehouses") + " SET last_order_id = ? WHERE id = 1", order);
            accepts(v, "delete from orders", "DELETE FROM orders WHERE id = ?", order);
            softly.assertThat(owner("SELECT count(*) FROM " + qualified(fixture.app, "order_lines") + " WHERE order_id = ?", order))
                    .as("foreign key order_lines_order_id_fkey ON DELETE CASCADE deletes the lines of an order deleted"
                            + " through %s", v).isEqualTo(0L);
            softly.assertThat(owner("SELECT last_order_id FROM " + qualified(fixture.ref, "warehouses") + " WHERE id = 1"))
                    .as("foreign key warehouses_last_order_id_fkey ON DELETE SET NULL clears the warehouse's order deleted"
                            + " through %s", v).isNull();
        }
        if (!rowSecurity) return;
        // Row-level security, for the application's role.
        softly.assertThat(quietly(v, "SELECT count(*) FROM orders")).as("policy orders_tenant_isolation shows %s tenant"
                + " a's orders only", v).isEqualTo(owner("SELECT count(*) FROM " + qualified(fixture.app, "orders")
                + " WHERE tenant = 'a'"));
        softly.assertThat(quietly(v, "UPDATE orders SET status = 'stolen' WHERE tenant = 'b'"))
                .as("policy orders_tenant_isolation keeps %s from updating tenant b's orders", v).isEqualTo(0);
        rejects(v, "42501", "policy orders_tenant_isolation rejects an order for tenant b",
                "INSERT INTO orders (account_id, tenant) VALUES (4, 'b')");
        rejects(v, "42501", "restrictive policy orders_qty_cap rejects an order of 5000 units",
                "INSERT INTO orders (account_id, tenant, qty) VALUES (1, 'a', 5000)");
    }

    private Object accepts(AppSession v, String what, String sql, Object... params) {
        try {
            return v.run(sql, params);
        } catch (SQLException e) {
            softly.fail(what + " through " + v + " failed: " + e.getMessage());
            return null;
        }
    }

    /** The result of {@code sql}, or the error as a value, so that a failing statement fails the assertion on it. */
    private static Object quietly(AppSession v, String sql) {
        try {
            return v.run(sql);
        } catch (SQLException e) {
            return "error: " + e.getMessage();
        }
    }

    private void rejects(AppSession v, String sqlState, String what, String sql, Object... params) {
        try {
            v.run(sql, params);
            softly.fail(what + " through " + v + ": the write was accepted");
        } catch (SQLException e) {
            softly.assertThat(e.getSQLState()).as(what + " through " + v + " (it said: " + e.getMessage() + ")").isEqualTo(sqlState);
        }
    }

    private void ownerRejects(String sqlState, String what, String sql) {
        try (Connection c = Pg.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.execute();
            softly.fail(what + ": the statement was accepted");
        } catch (SQLException e) {
            softly.assertThat(e.getSQLState()).as(what + " (it said: " + e.getMessage() + ")").isEqualTo(sqlState);
        }
    }

    /** As the owner (a superuser), outside any version. */
    private static Object owner(String sql, Object... params) {
        try (Connection c = Pg.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) ps.setObject(i + 1, params[i]);
            if (!ps.execute()) return ps.getUpdateCount();
            try (ResultSet rs = ps.getResultSet()) {
                return rs.next() ? rs.getObject(1) : null;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    private Map<String, Long> firings() {
        Map<String, Long> counts = new TreeMap<>();
        try (Connection c = Pg.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT trigger_name, count(*) FROM " + qualified(fixture.ref, "trigger_log") + " GROUP BY 1");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) counts.put(rs.getString(1), rs.getLong(2));
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return counts;
    }

    private Map<String, Long> firedSince(Map<String, Long> before) {
        Map<String, Long> delta = new TreeMap<>();
        firings().forEach((name, n) -> {
            long d = n - before.getOrDefault(name, 0L);
            if (d != 0) delta.put(name, d);
        });
        return delta;
    }

    private static String qualified(String schema, String table) {
        return "\"" + schema + "\"." + table;
    }
}
