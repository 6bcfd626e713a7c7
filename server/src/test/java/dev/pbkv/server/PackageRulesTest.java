package dev.pbkv.server;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package rules of docs/architecture.md, checked on the server's main classes: data flows
 * door → command layer → replication → store (and replication → coordinator client), and nothing
 * points back.
 */
class PackageRulesTest {

    private static final String[] DOORS = {"dev.pbkv.server.grpc..", "dev.pbkv.server.resp..", "dev.pbkv.server.http.."
    };

    /** What sits above the command layer: the doors, their plumbing, the tools and the node. */
    private static final String[] ABOVE_COMMAND =
            with(DOORS, "dev.pbkv.server.net..", "dev.pbkv.server.cli..", "dev.pbkv.server");

    private static String[] with(String[] packages, String... more) {
        return Stream.concat(Arrays.stream(packages), Arrays.stream(more)).toArray(String[]::new);
    }

    private static JavaClasses server;

    @BeforeAll
    static void importServer() {
        server = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.pbkv.server");
    }

    @Test
    void doorsSeeOnlyTheCommandLayerAndSharedTypes() {
        // A door translates a protocol to command calls: it never reaches past the command layer.
        ArchRule rule = classes()
                .that()
                .resideInAnyPackage(DOORS)
                .should()
                .onlyDependOnClassesThat(not(resideInAnyPackage(
                        "dev.pbkv.server.replication..",
                        "dev.pbkv.store..",
                        "dev.pbkv.server.cli..",
                        "dev.pbkv.server")));
        rule.check(server);
    }

    @Test
    void doorsDoNotUseEachOther() {
        for (String door : DOORS) {
            String[] others = Arrays.stream(DOORS).filter(d -> !d.equals(door)).toArray(String[]::new);
            noClasses()
                    .that()
                    .resideInAPackage(door)
                    .should()
                    .dependOnClassesThat()
                    .resideInAnyPackage(others)
                    .check(server);
        }
    }

    @Test
    void onlyTheNodeImportsADoor() {
        noClasses()
                .that()
                .resideOutsideOfPackages(DOORS)
                .and()
                .doNotHaveFullyQualifiedName(Node.class.getName())
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(DOORS)
                .check(server);
    }

    @Test
    void commandLayerDoesNotPointBackAtTheDoorsOrTheNode() {
        noClasses()
                .that()
                .resideInAPackage("dev.pbkv.server.command..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(ABOVE_COMMAND)
                .check(server);
    }

    @Test
    void replicationKnowsNothingOfTheLayersAboveIt() {
        noClasses()
                .that()
                .resideInAPackage("dev.pbkv.server.replication..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(with(ABOVE_COMMAND, "dev.pbkv.server.command.."))
                .check(server);
    }

    @Test
    void theCoordinatorClientKnowsOnlyZooKeeper() {
        // Replication asks the coordinator; the coordinator never sees the store, replication or what is above.
        noClasses()
                .that()
                .resideInAPackage("dev.pbkv.server.coordinator..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(with(
                        DOORS,
                        "dev.pbkv.server.replication..",
                        "dev.pbkv.server.command..",
                        "dev.pbkv.server.metrics..",
                        "dev.pbkv.store.."))
                .check(server);
    }

    @Test
    void sharedTypePackagesAreLeaves() {
        // role, net, config and tls (certificates) are seen by many; they must not pull the layers in.
        noClasses()
                .that()
                .resideInAnyPackage(
                        "dev.pbkv.server.role..",
                        "dev.pbkv.server.net..",
                        "dev.pbkv.server.config..",
                        "dev.pbkv.server.tls..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "dev.pbkv.server.command..",
                        "dev.pbkv.server.replication..",
                        "dev.pbkv.server.metrics..",
                        "dev.pbkv.server.grpc..",
                        "dev.pbkv.server.resp..",
                        "dev.pbkv.server.http..",
                        "dev.pbkv.server.cli..",
                        "dev.pbkv.server")
                .check(server);
    }

    @Test
    void metricsReadTheCommandLayerOnly() {
        // The doors record into metrics; metrics read the node's status from the command layer.
        noClasses()
                .that()
                .resideInAPackage("dev.pbkv.server.metrics..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "dev.pbkv.server.replication..",
                        "dev.pbkv.store..",
                        "dev.pbkv.server.grpc..",
                        "dev.pbkv.server.resp..",
                        "dev.pbkv.server.http..",
                        "dev.pbkv.server.cli..",
                        "dev.pbkv.server")
                .check(server);
    }

    @Test
    void subpackagesHaveNoCycles() {
        slices().matching("dev.pbkv.server.(*)..").should().beFreeOfCycles().check(server);
    }
}
