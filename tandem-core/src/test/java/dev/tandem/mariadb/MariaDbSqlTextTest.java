package dev.tandem.mariadb;

import dev.tandem.dialect.mariadb.MariaDbSqlText;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Quoting for MariaDB, and reading quoted names back from what the server prints. */
class MariaDbSqlTextTest {
    @Test
    void quotesNamesWithBackticksDoubled() {
        assertThat(MariaDbSqlText.quote("users")).isEqualTo("`users`");
        assertThat(MariaDbSqlText.quote("a`b")).isEqualTo("`a``b`");
        assertThat(MariaDbSqlText.quote("x\"; DROP TABLE t; --")).isEqualTo("`x\"; DROP TABLE t; --`");
    }

    @Test
    void refusesWhatCannotBeAName() {
        assertThatThrownBy(() -> MariaDbSqlText.quote("")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a MariaDB identifier");
        assertThatThrownBy(() -> MariaDbSqlText.quote("a\0b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MariaDbSqlText.quote(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void escapesStringLiterals() {
        assertThat(MariaDbSqlText.literal("it's")).isEqualTo("'it''s'");
        assertThat(MariaDbSqlText.literal("a\\' OR 1=1")).isEqualTo("'a\\\\'' OR 1=1'");
    }

    @Test
    void findsQuotedNamesOutsideStrings() {
        assertThat(MariaDbSqlText.quotedIn("`score` >= 0 and `nick` <> '`big`' and `a``b` = 'it''s `c`' and `d` = \"`e`\""))
                .containsExactly("score", "nick", "a`b", "d");
        assertThat(MariaDbSqlText.quotedIn("`x` = 'back\\\\' and `y` = 'q\\'`z`'")).containsExactly("x", "y");
        assertThat(MariaDbSqlText.quotedIn("no names here")).isEmpty();
    }
}
