package dev.tandem.dialect.mariadb;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SHOW GRANTS lines read as the server applies them. The MariaDB lines are as 11.4 prints them; the MySQL 8 ones as
 * its manual shows them ("SHOW GRANTS Statement"), since there is no MySQL server here.
 */
class MariaDbGrantsTest {
    private static final Set<String> WANTED = Set.of("SELECT", "CREATE", "DROP", "ALTER", "SUPER");

    @Test
    void globalDatabaseAndOtherLinesAreToldApart() {
        MariaDbGrants grants = MariaDbGrants.parse(List.of(
                "GRANT `r1` TO `u1`@`%`",
                "GRANT PROCESS ON *.* TO `u1`@`%` IDENTIFIED BY PASSWORD '*7B9EBEED26AA52ED10C0F549FA863F13C39E0209'",
                "GRANT SELECT, ALTER ON `app`.* TO `u1`@`%`",
                "GRANT CREATE, DROP ON `app\\_%`.* TO `u1`@`%`",
                "GRANT TRIGGER ON `app`.`t` TO `u1`@`%`",
                "GRANT SELECT (`id`, `on`) ON `app`.`t` TO `u1`@`%`",
                "GRANT EXECUTE ON PROCEDURE `app`.`p` TO `u1`@`%`",
                "GRANT PROXY ON ''@'%' TO 'u1'@'%' WITH GRANT OPTION",
                "GRANT INSERT, UPDATE ON `app`.* TO `r1`",
                "SET DEFAULT ROLE `r1` FOR `u1`@`%`"));
        assertThat(grants.global("PROCESS")).isTrue();
        assertThat(grants.global("SUPER")).isFalse();
        // app: the login's own grant on app and the role's add up; the pattern is hidden there by the exact name.
        assertThat(grants.onDatabase("app", false, Set.of("SELECT", "ALTER", "INSERT", "CREATE", "TRIGGER")))
                .containsExactlyInAnyOrder("SELECT", "ALTER", "INSERT");
        assertThat(grants.onDatabase("app_001_x", false, WANTED)).containsExactlyInAnyOrder("CREATE", "DROP");
        assertThat(grants.onDatabase("appx001", false, WANTED)).isEmpty();
        assertThat(grants.onDatabase("APP_001_X", false, WANTED)).isEmpty();
        assertThat(grants.onDatabase("APP_001_X", true, WANTED)).containsExactlyInAnyOrder("CREATE", "DROP");
    }

    @Test
    void mySqlLinesAndAllPrivileges() {
        MariaDbGrants grants = MariaDbGrants.parse(List.of(
                "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, RELOAD ON *.* TO `admin`@`localhost`",
                "GRANT BACKUP_ADMIN,BINLOG_ADMIN,SYSTEM_VARIABLES_ADMIN ON *.* TO `admin`@`localhost`",
                "GRANT `dba`@`%` TO `admin`@`localhost`",
                "GRANT ALL PRIVILEGES ON `shop`.* TO `admin`@`localhost` WITH GRANT OPTION"));
        assertThat(grants.global("BINLOG_ADMIN")).isTrue();
        assertThat(grants.global("ALTER")).isFalse();
        Set<String> wanted = Set.of("SELECT", "CREATE", "DROP", "ALTER", "TRIGGER");
        assertThat(grants.onDatabase("shop", false, wanted)).isEqualTo(wanted);
        assertThat(grants.onDatabase("other", false, wanted)).containsExactlyInAnyOrder("SELECT", "CREATE", "DROP");
    }
}
