package dev.pbkv.store;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The store is an embeddable engine: it has no network code and knows nothing of the node. */
class StoreHasNoNetworkTest {

    @Test
    void storeImportsNoNetworkGrpcOrNetty() {
        noClasses()
                .that()
                .resideInAPackage("dev.pbkv.store..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "java.net..",
                        "io.grpc..",
                        "io.netty..",
                        "com.google.protobuf..",
                        "dev.pbkv.proto..",
                        "dev.pbkv.server..",
                        "dev.pbkv.client..")
                .check(new ClassFileImporter()
                        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .importPackages("dev.pbkv.store"));
    }
}
