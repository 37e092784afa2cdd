package dev.tandem.mariadb;

import dev.tandem.catalog.Catalog;
import dev.tandem.dialect.mariadb.MariaDbCatalogReader;
import dev.tandem.testing.MariaDb;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

import static dev.tandem.testing.MariaDb.quote;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The MariaDB catalog reader on a fixture with every kind of thing it reads: keys of one and several columns,
 * unique, prefix, descending, FULLTEXT and commented indexes, foreign keys, table- and column-level CHECK
 * constraints, AUTO_INCREMENT, sequence and generated columns, collations and comments, table and column grants,
 * ordered triggers (one of them Tandem's), and views.
 */
class MariaDbCatalogReaderTest {
    private static String db;
    private static String reader;
    private static Catalog catalog;

    @BeforeAll
    static void fixture() throws SQLException {
        db = MariaDb.newDatabase("catalog");
        MariaDb.exec(db, """
                CREATE TABLE customers (
                    id INT AUTO_INCREMENT PRIMARY KEY,
                    email VARCHAR(100) NOT NULL COMMENT 'the login',
                    nick VARCHAR(30) COLLATE utf8mb4_bin NULL,
                    status ENUM('new', 'active') NOT NULL DEFAULT 'new',
                    created TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
                    score DECIMAL(10,2) NULL DEFAULT NULL,
                    big BIGINT UNSIGNED NOT NULL DEFAULT 0,
                    shout VARCHAR(100) AS (UPPER(email)) VIRTUAL,
                    UNIQUE KEY customers_email (email),
                    KEY customers_nick (nick(10)),
                    KEY customers_status_created (status, created DESC) COMMENT 'for lists',
                    CONSTRAINT score_positive CHECK (score >= 0 AND nick <> '`big`'))""",
                """
                CREATE TABLE orders (
                    id BIGINT NOT NULL,
                    line INT NOT NULL,
                    customer_id INT NOT NULL,
                    qty INT NOT NULL CHECK (qty > 0),
                    note TEXT,
                    PRIMARY KEY (id, line),
                    CONSTRAINT orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE,
                    FULLTEXT KEY orders_note (note),
                    KEY shared_name (qty))""",
                "CREATE TABLE audit (id INT PRIMARY KEY, KEY shared_name (id))",
                "CREATE SEQUENCE invoice_numbers",
                "CREATE TABLE invoices (id INT PRIMARY KEY DEFAULT NEXTVAL(invoice_numbers))",
                "CREATE TRIGGER customers_user BEFORE INSERT ON customers FOR EACH ROW SET NEW.nick = LOWER(NEW.nick)",
                "CREATE TRIGGER customers_later BEFORE INSERT ON customers FOR EACH ROW FOLLOWS customers_user SET NEW.big = 1",
                "CREATE TRIGGER customers_first BEFORE INSERT ON customers FOR EACH ROW PRECEDES customers_user SET NEW.score = 0",
                "CREATE TRIGGER customers_changed AFTER UPDATE ON customers FOR EACH ROW SET @changed = NEW.id",
                "CREATE TRIGGER orders_gone AFTER DELETE ON orders FOR EACH ROW SET @gone = OLD.id",
                "CREATE TRIGGER _tandem_sync_m1 BEFORE UPDATE ON orders FOR EACH ROW SET NEW.qty = NEW.qty",
                "CREATE VIEW active_customers AS SELECT id, email AS login FROM customers WHERE status = 'active'"
                        + " WITH CASCADED CHECK OPTION",
                "CREATE SQL SECURITY INVOKER VIEW totals AS SELECT customer_id, SUM(qty) AS n FROM orders GROUP BY customer_id");
        reader = MariaDb.newUser("reader");
        MariaDb.exec("GRANT SELECT ON " + quote(db) + ".customers TO " + MariaDb.account(reader));
        MariaDb.exec("GRANT UPDATE (nick) ON " + quote(db) + ".customers TO " + MariaDb.account(reader));
        MariaDb.exec("GRANT INSERT ON " + quote(db) + ".audit TO " + MariaDb.account(reader) + " WITH GRANT OPTION");
        try (Connection c = MariaDb.dataSource().getConnection()) {
            catalog = MariaDbCatalogReader.read(c, db);
        }
    }

    @Test
    void readsTheBaseTablesOnly() {
        assertThat(catalog.schema()).isEqualTo(db);
        assertThat(catalog.tables().keySet()).containsExactly("audit", "customers", "invoices", "orders");
    }

    @Test
    void readsColumnsAsMariaDbPrintsThem() {
        Catalog.Table customers = catalog.tables().get("customers");
        assertThat(customers.columns()).extracting(Catalog.Column::name)
                .containsExactly("id", "email", "nick", "status", "created", "score", "big", "shout");
        assertThat(customers.columns()).extracting(Catalog.Column::type).containsExactly("int(11)", "varchar(100)",
                "varchar(30)", "enum('new','active')", "timestamp", "decimal(10,2)", "bigint(20) unsigned", "varchar(100)");
        assertThat(customers.columns()).extracting(Catalog.Column::notNull)
                .containsExactly(true, true, false, true, true, false, true, false);
        // No default, and a default of NULL, both read as null; a generated column's expression is no default.
        assertThat(customers.columns()).extracting(Catalog.Column::defaultExpr)
                .containsExactly(null, null, null, "'new'", "current_timestamp()", null, "0", null);
        assertThat(customers.columns()).extracting(Catalog.Column::position).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
    }

    @Test
    void autoIncrementReadsAsAnIdentityByDefault() {
        Catalog.Table customers = catalog.tables().get("customers");
        assertThat(customers.column("id").orElseThrow().identity()).isEqualTo("d");
        assertThat(customers.column("email").orElseThrow().isIdentity()).isFalse();
    }

    @Test
    void aDefaultFromASequenceDraws() {
        Catalog.Column id = catalog.tables().get("invoices").column("id").orElseThrow();
        assertThat(id.defaultExpr()).containsIgnoringCase("nextval(");
        assertThat(id.defaultDraws()).isTrue();
        assertThat(catalog.tables().get("customers").column("big").orElseThrow().defaultDraws()).isFalse();
    }

    @Test
    void readsCommentsAndCollationsThatDifferFromTheTables() {
        Catalog.Table customers = catalog.tables().get("customers");
        assertThat(customers.column("email").orElseThrow().attributes().comment()).isEqualTo("the login");
        assertThat(customers.column("nick").orElseThrow().attributes().collation()).isEqualTo("utf8mb4_bin");
        assertThat(customers.column("status").orElseThrow().attributes()).isEqualTo(Catalog.Attributes.NONE);
        assertThat(catalog.collatableTypes()).contains("varchar", "text", "enum").doesNotContain("int");
    }

    @Test
    void readsPrimaryKeysInKeyOrder() {
        assertThat(catalog.tables().get("customers").primaryKey()).containsExactly("id");
        assertThat(catalog.tables().get("orders").primaryKey()).containsExactly("id", "line");
        assertThat(catalog.tables().get("orders").constraints()).filteredOn(k -> k.type() == 'p').singleElement()
                .satisfies(k -> assertThat(k.definition()).isEqualTo("PRIMARY KEY (`id`, `line`)"));
    }

    @Test
    void readsUniqueKeysAsConstraintsBackedByTheirIndex() {
        Catalog.Table customers = catalog.tables().get("customers");
        assertThat(customers.constraints()).contains(
                new Catalog.Constraint("customers_email", 'u', List.of("email"), "UNIQUE (`email`)", true));
        Catalog.Index index = index(customers, "customers_email");
        assertThat(index.unique()).isTrue();
        assertThat(index.constraint()).isEqualTo("customers_email");
        assertThat(index.simple()).isTrue();
        assertThat(index.definition()).isEqualTo("UNIQUE INDEX `customers_email` (`email`)");
    }

    @Test
    void readsForeignKeysWithWhatTheyReference() {
        Catalog.Constraint fk = catalog.tables().get("orders").constraints().stream()
                .filter(k -> k.type() == 'f').findFirst().orElseThrow();
        assertThat(fk.name()).isEqualTo("orders_customer");
        assertThat(fk.columns()).containsExactly("customer_id");
        assertThat(fk.reference()).isEqualTo(new Catalog.Constraint.Reference(db, "customers", List.of("id"), "CASCADE"));
        assertThat(fk.referencedTable()).isEqualTo("customers");
        assertThat(fk.definition()).isEqualTo("FOREIGN KEY (`customer_id`) REFERENCES " + quote(db)
                + ".`customers` (`id`) ON DELETE CASCADE ON UPDATE RESTRICT");
    }

    @Test
    void readsCheckConstraintsWithTheColumnsTheyName() {
        Catalog.Constraint tableLevel = catalog.tables().get("customers").constraints().stream()
                .filter(k -> k.type() == 'c').findFirst().orElseThrow();
        assertThat(tableLevel.name()).isEqualTo("score_positive");
        // `big` inside the string literal is no column reference.
        assertThat(tableLevel.columns()).containsExactly("score", "nick");
        assertThat(tableLevel.definition()).startsWith("CHECK (").contains("`score` >= 0");
        Catalog.Constraint columnLevel = catalog.tables().get("orders").constraints().stream()
                .filter(k -> k.type() == 'c').findFirst().orElseThrow();
        assertThat(columnLevel.name()).isEqualTo("qty");
        assertThat(columnLevel.columns()).containsExactly("qty");
        assertThat(columnLevel.definition()).isEqualTo("CHECK (`qty` > 0)");
    }

    @Test
    void readsPrefixDescendingCommentedAndFulltextIndexes() {
        Catalog.Table customers = catalog.tables().get("customers");
        Catalog.Index prefix = index(customers, "customers_nick");
        assertThat(prefix.columns()).containsExactly("nick");
        assertThat(prefix.simple()).as("a prefix key is not the whole column").isFalse();
        assertThat(prefix.definition()).isEqualTo("INDEX `customers_nick` (`nick`(10))");

        Catalog.Index listing = index(customers, "customers_status_created");
        assertThat(listing.columns()).containsExactly("status", "created");
        assertThat(listing.shape().keys()).extracting(Catalog.IndexKey::descending).containsExactly(false, true);
        assertThat(listing.comment()).isEqualTo("for lists");
        assertThat(listing.definition())
                .isEqualTo("INDEX `customers_status_created` (`status`, `created` DESC) COMMENT 'for lists'");
        assertThat(listing.unique()).isFalse();
        assertThat(listing.constraint()).isNull();

        Catalog.Index fulltext = index(catalog.tables().get("orders"), "orders_note");
        assertThat(fulltext.shape().method()).isEqualTo("fulltext");
        assertThat(fulltext.definition()).isEqualTo("FULLTEXT INDEX `orders_note` (`note`)");

        assertThat(index(customers, "PRIMARY").definition()).isEqualTo("PRIMARY KEY (`id`)");
        assertThat(index(customers, "PRIMARY").constraint()).isEqualTo("PRIMARY");
    }

    @Test
    void indexToTableHoldsOnlyNamesOneTableUses() {
        assertThat(catalog.indexToTable()).containsEntry("customers_email", "customers")
                .containsEntry("orders_note", "orders")
                .doesNotContainKeys("PRIMARY", "shared_name");
        assertThat(index(catalog.tables().get("audit"), "shared_name").columns()).containsExactly("id");
    }

    @Test
    void readsTableAndColumnGrants() {
        String grantee = "'" + reader + "'@'%'";
        assertThat(catalog.tables().get("customers").privileges()).containsExactly(
                new Catalog.Privilege(grantee, "SELECT", null, false),
                new Catalog.Privilege(grantee, "UPDATE", "nick", false));
        // MariaDB keeps GRANT OPTION per account and table, not per privilege: it marks every privilege there.
        assertThat(catalog.tables().get("audit").privileges()).containsExactly(
                new Catalog.Privilege(grantee, "INSERT", null, true));
        assertThat(catalog.tables().get("orders").privileges()).isEmpty();
    }

    @Test
    void readsTheUsersTriggersInTheOrderTheyFire() {
        assertThat(catalog.tables().get("customers").triggers()).containsExactly(
                new Catalog.Trigger("customers_first", true, true, false, false, 1),
                new Catalog.Trigger("customers_user", true, true, false, false, 2),
                new Catalog.Trigger("customers_later", true, true, false, false, 3),
                new Catalog.Trigger("customers_changed", false, false, true, false, 1));
        assertThat(catalog.tables().get("orders").triggers()).as("Tandem's own trigger is left out").containsExactly(
                new Catalog.Trigger("orders_gone", false, false, false, true, 1));
    }

    @Test
    void readsViews() {
        assertThat(catalog.views()).extracting(Catalog.View::name).containsExactly("active_customers", "totals");
        Catalog.View active = catalog.views().get(0);
        assertThat(active.columns()).containsExactly("id", "login");
        assertThat(active.updatable()).isTrue();
        assertThat(active.checkOption()).isEqualTo("CASCADED");
        assertThat(active.securityType()).isEqualTo("DEFINER");
        assertThat(active.definer()).isEqualTo("root@127.0.0.1");
        assertThat(active.definition()).contains("`email` AS `login`");
        Catalog.View totals = catalog.views().get(1);
        assertThat(totals.updatable()).isFalse();
        assertThat(totals.securityType()).isEqualTo("INVOKER");
        assertThat(totals.checkOption()).isEqualTo("NONE");
    }

    /**
     * Each index and constraint definition is what ALTER TABLE ... ADD takes, and each column's type and default what
     * CREATE TABLE takes: tables made again from them read back the same.
     */
    @Test
    void definitionsAreWhatAlterTableAddTakes() throws SQLException {
        String copy = MariaDb.newDatabase("copy");
        for (String table : List.of("customers", "orders")) {
            Catalog.Table original = catalog.tables().get(table);
            List<String> adds = new java.util.ArrayList<>();
            original.indexes().stream().filter(i -> i.constraint() == null || i.name().equals("PRIMARY") || i.unique())
                    .forEach(i -> adds.add("ADD " + i.definition()));
            original.constraints().stream().filter(k -> k.type() == 'c' || k.type() == 'f')
                    .forEach(k -> adds.add("ADD CONSTRAINT " + quote(k.name()) + " " + k.definition()));
            // The columns from the catalog too: its types and defaults are SQL that CREATE TABLE takes.
            String columns = String.join(", ", original.columns().stream().map(c -> quote(c.name()) + " " + c.type()
                    + (c.notNull() ? " NOT NULL" : " NULL") + (c.defaultExpr() == null ? "" : " DEFAULT " + c.defaultExpr())).toList());
            MariaDb.exec(copy, "CREATE TABLE " + quote(table) + " (" + columns + ")",
                    "ALTER TABLE " + quote(table) + " " + String.join(", ", adds));
        }
        Catalog copied;
        try (Connection c = MariaDb.dataSource().getConnection()) {
            copied = MariaDbCatalogReader.read(c, copy);
        }
        for (String table : List.of("customers", "orders")) {
            assertThat(copied.tables().get(table).columns()).extracting(Catalog.Column::type, Catalog.Column::defaultExpr)
                    .containsExactlyElementsOf(catalog.tables().get(table).columns().stream()
                            .map(c -> org.assertj.core.groups.Tuple.tuple(c.type(), c.defaultExpr())).toList());
            assertThat(copied.tables().get(table).indexes()).extracting(Catalog.Index::definition)
                    .containsExactlyInAnyOrderElementsOf(catalog.tables().get(table).indexes().stream()
                            .map(Catalog.Index::definition).toList());
            assertThat(copied.tables().get(table).constraints()).extracting(Catalog.Constraint::definition)
                    .containsExactlyInAnyOrderElementsOf(catalog.tables().get(table).constraints().stream()
                            .map(Catalog.Constraint::definition).toList());
        }
    }

    /** Names with a backtick, a quote and a space come back as they are, and definitions quote them. */
    @Test
    void readsOddNamesAsTheyAre() throws SQLException {
        String odd = MariaDb.newDatabase("odd`name");
        MariaDb.exec(odd, "CREATE TABLE " + quote("t`\"1 x") + " (" + quote("a`b") + " INT PRIMARY KEY, "
                + quote("c'd") + " INT, UNIQUE KEY " + quote("u`1") + " (" + quote("c'd") + "))");
        Catalog oddCatalog;
        try (Connection c = MariaDb.dataSource().getConnection()) {
            oddCatalog = MariaDbCatalogReader.read(c, odd);
        }
        Catalog.Table t = oddCatalog.tables().get("t`\"1 x");
        assertThat(t.primaryKey()).containsExactly("a`b");
        assertThat(index(t, "u`1").definition()).isEqualTo("UNIQUE INDEX `u``1` (`c'd`)");
        assertThat(oddCatalog.indexToTable()).containsEntry("u`1", "t`\"1 x");
    }

    @Test
    void readsTheServerVersionAsOneNumber() throws SQLException {
        String version = MariaDb.serverVersion();
        String[] parts = version.split("[.-]");
        int expected = Integer.parseInt(parts[0]) * 10000 + Integer.parseInt(parts[1]) * 100 + Integer.parseInt(parts[2]);
        assertThat(catalog.serverVersion()).isEqualTo(expected).isGreaterThanOrEqualTo(101100);
    }

    @Test
    void leavesPostgresOnlyThingsEmpty() {
        for (Catalog.Table t : catalog.tables().values()) {
            assertThat(t.rowSecurity()).isFalse();
            assertThat(t.policies()).isEmpty();
            assertThat(t.inheritance()).isEqualTo(Catalog.Inheritance.NONE);
            assertThat(t.replication()).isEqualTo(Catalog.Replication.NONE);
            assertThat(t.columns()).allSatisfy(c -> assertThat(c.sequence()).isNull());
        }
        assertThat(catalog.schemaPublications()).isEmpty();
    }

    @Test
    void anEmptyOrMissingDatabaseHasNoTables() throws SQLException {
        String empty = MariaDb.newDatabase("empty");
        try (Connection c = MariaDb.dataSource().getConnection()) {
            assertThat(MariaDbCatalogReader.read(c, empty).tables()).isEmpty();
            assertThat(MariaDbCatalogReader.read(c, "no_such_database_" + ProcessHandle.current().pid()).tables()).isEmpty();
        }
    }

    private static Catalog.Index index(Catalog.Table table, String name) {
        return table.indexes().stream().filter(i -> i.name().equals(name)).findFirst().orElseThrow();
    }
}
