package dev.tandem.engine;

import dev.tandem.catalog.Catalog;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Merging the locks of statements that share a transaction, and reading lock modes and foreign keys back. */
class LocksTest {
    static TableLock lock(String table, LockMode mode) {
        return new TableLock("app", table, mode);
    }

    @Test
    void perTableTheStrongestInFirstTouchedOrder() {
        Locks merged = Locks.sequence(List.of(
                Locks.derived(lock("users", LockMode.SHARE_ROW_EXCLUSIVE)),
                Locks.derived(lock("orders", LockMode.ROW_SHARE), lock("users", LockMode.SHARE_UPDATE_EXCLUSIVE)),
                Locks.derived(lock("users", LockMode.ACCESS_EXCLUSIVE))));
        assertThat(merged.tables()).containsExactly(lock("users", LockMode.ACCESS_EXCLUSIVE), lock("orders", LockMode.ROW_SHARE));
        assertThat(merged.summary()).isEqualTo("ACCESS EXCLUSIVE on app.users; ROW SHARE on app.orders");
    }

    @Test
    void aTableRenamedEarlierInTheTransactionIsTheSameTable() {
        Locks merged = Locks.sequence(List.of(
                Locks.derived(new TableLock("app", "items", LockMode.ACCESS_EXCLUSIVE, "products")),
                Locks.derived(lock("products", LockMode.ACCESS_EXCLUSIVE))));
        assertThat(merged.tables()).containsExactly(new TableLock("app", "items", LockMode.ACCESS_EXCLUSIVE, "products"));
    }

    @Test
    void unknownStaysUnknownAndSaysWhy() {
        Locks merged = Locks.sequence(List.of(Locks.derived(lock("users", LockMode.ACCESS_SHARE)), Locks.unknown("not probed")));
        assertThat(merged.known()).isFalse();
        assertThat(merged.summary()).isEqualTo("unknown (not probed)");
        assertThat(Locks.derived().summary()).isEqualTo("none on tables or views");
        assertThatThrownBy(() -> Locks.unknown(" ")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void modesReadAsTheManualAndPgLocksNameThem() {
        assertThat(LockMode.of("ACCESS EXCLUSIVE")).isEqualTo(LockMode.ACCESS_EXCLUSIVE);
        assertThat(LockMode.of("ShareUpdateExclusiveLock")).isEqualTo(LockMode.SHARE_UPDATE_EXCLUSIVE);
        assertThat(LockMode.of("row_share")).isEqualTo(LockMode.ROW_SHARE);
        assertThat(LockMode.SHARE.strongest(LockMode.SHARE_ROW_EXCLUSIVE)).isEqualTo(LockMode.SHARE_ROW_EXCLUSIVE);
        assertThatThrownBy(() -> LockMode.of("SHARE EVERYTHING")).hasMessageContaining("not a PostgreSQL table lock mode");
    }

    @Test
    void referencedTableOfAForeignKeyDefinition() {
        assertThat(fk("FOREIGN KEY (item_id) REFERENCES items(id) ON DELETE CASCADE").referencedTable()).isEqualTo("items");
        assertThat(fk("FOREIGN KEY (a) REFERENCES shop.items(id)").referencedTable()).isEqualTo("items");
        assertThat(fk("FOREIGN KEY (a) REFERENCES \"Odd \"\"Name\".\"It.ems (x)\"(id)").referencedTable()).isEqualTo("It.ems (x)");
        assertThat(new Catalog.Constraint("c", 'c', List.of("a"), "CHECK (a > 0)", true).referencedTable()).isNull();
    }

    private static Catalog.Constraint fk(String definition) {
        return new Catalog.Constraint("fk", 'f', List.of("a"), definition, true);
    }
}
