package dev.parley;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import org.junit.jupiter.api.Test;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

import io.smallrye.config.ConfigMapping;

/**
 * The package rules (the README's Layout section): the adapters own everything their database needs and only the
 * composition root ({@code ops.ActiveBackend}) knows them; the domain and the HTTP layer never depend on operations
 * or the command line; no two packages depend on each other in a cycle. (Plain JUnit tests over ArchUnit's core:
 * ArchUnit's own JUnit 5 engine discovers nothing on the JUnit 6 platform Quarkus 3.32 brings.)
 */
class ArchitectureTest {

    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.parley");

    private static final String SQLITE = "dev.parley.store.sqlite..";
    private static final String POSTGRES = "dev.parley.store.postgres..";

    @Test
    void onlyTheCompositionRootKnowsTheAdapters() {
        noClasses().that().resideOutsideOfPackages(SQLITE, POSTGRES)
                .and().haveNameNotMatching("dev\\.parley\\.ops\\.ActiveBackend(\\$.*)?")
                .should().dependOnClassesThat().resideInAnyPackage(SQLITE, POSTGRES)
                .check(MAIN);
    }

    @Test
    void eachAdapterKnowsOnlyThePortsAndItsOwnDatabase() {
        noClasses().that().resideInAPackage(SQLITE)
                .should().dependOnClassesThat().resideInAnyPackage(POSTGRES, "dev.parley.ops..", "dev.parley.cli..",
                        "dev.parley.api..")
                .check(MAIN);
        noClasses().that().resideInAPackage(POSTGRES)
                .should().dependOnClassesThat().resideInAnyPackage(SQLITE, "dev.parley.ops..", "dev.parley.cli..",
                        "dev.parley.api..")
                .check(MAIN);
    }

    @Test
    void domainAndHttpNeverReachOperationsOrTheCommandLine() {
        noClasses().that().resideInAnyPackage("dev.parley.api..", "dev.parley.chat..", "dev.parley.auth..",
                "dev.parley.provider..", "dev.parley.usage..", "dev.parley.billing..", "dev.parley.search..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.parley.ops..", "dev.parley.cli..")
                .check(MAIN);
    }

    /**
     * Settings are checked by the code that uses them, not by Bean Validation constraints: a single constraint on any
     * {@code @ConfigMapping} makes Quarkus build a Hibernate Validator factory over the configuration at every start,
     * 15 % of the fast start (bench/README.md, StartupTime).
     */
    @Test
    void noSettingsCarryBeanValidationConstraints() {
        noClasses().that(DescribedPredicate.describe("are @ConfigMapping settings or nested in them",
                (JavaClass c) -> c.isAnnotatedWith(ConfigMapping.class)
                        || c.getEnclosingClass().map(e -> e.isAnnotatedWith(ConfigMapping.class)).orElse(false)))
                .should().dependOnClassesThat().resideInAPackage("jakarta.validation..")
                .check(MAIN);
    }

    @Test
    void noCyclesBetweenPackages() {
        slices().matching("dev.parley.(**)").should().beFreeOfCycles().check(MAIN);
    }
}
