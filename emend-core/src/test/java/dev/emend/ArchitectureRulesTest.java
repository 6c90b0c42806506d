package dev.emend;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The package rules of design.md §3.3, enforced on the compiled core. */
class ArchitectureRulesTest {
    static JavaClasses core;

    @BeforeAll
    static void importCore() {
        core = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.emend");
    }

    @Test
    void tensorDependsOnNothingOfOurs() {
        noClasses().that().resideInAPackage("dev.emend.tensor..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.emend.model..", "dev.emend.tokenizer..",
                        "dev.emend.edit..", "dev.emend.eval..", "dev.emend.stats..", "dev.emend.data..")
                .check(core);
    }

    @Test
    void ggufSeesOnlyTensorAndTheExceptions() {
        noClasses().that().resideInAPackage("dev.emend.gguf..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.emend.model..", "dev.emend.tokenizer..",
                        "dev.emend.edit..", "dev.emend.eval..", "dev.emend.stats..", "dev.emend.data..",
                        "dev.emend.train..", "dev.emend.world..")
                .check(core);
    }

    @Test
    void tokenizerSeesOnlyTensor() {
        noClasses().that().resideInAPackage("dev.emend.tokenizer..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.emend.model..", "dev.emend.edit..",
                        "dev.emend.eval..", "dev.emend.stats..", "dev.emend.data..")
                .check(core);
    }

    @Test
    void modelDoesNotSeeEditingOrEvaluation() {
        noClasses().that().resideInAPackage("dev.emend.model..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.emend.edit..", "dev.emend.eval..",
                        "dev.emend.stats..", "dev.emend.data..", "dev.emend.trace..")
                .check(core);
    }

    @Test
    void familiesDoNotSeeEachOther() {
        String[] families = {"gpt2", "llama", "gptj", "neox"};
        for (String f : families) {
            String[] others = java.util.Arrays.stream(families).filter(o -> !o.equals(f))
                    .map(o -> "dev.emend.model." + o + "..").toArray(String[]::new);
            noClasses().that().resideInAPackage("dev.emend.model." + f + "..")
                    .should().dependOnClassesThat().resideInAnyPackage(others)
                    .check(core);
        }
    }

    @Test
    void configSeesNothingOfOurs() {
        noClasses().that().resideInAPackage("dev.emend.config..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.emend.model..", "dev.emend.tokenizer..",
                        "dev.emend.tensor..", "dev.emend.edit..", "dev.emend.stats..", "dev.emend.eval..", "dev.emend.data..",
                        "dev.emend.world..", "dev.emend.train..")
                .check(core);
    }

    @Test
    void statsSeesOnlyModelTensorAndTokenizer() {
        noClasses().that().resideInAPackage("dev.emend.stats..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.emend.edit..", "dev.emend.eval..",
                        "dev.emend.data..", "dev.emend.trace..", "dev.emend.world..", "dev.emend.train..", "dev.emend.config..")
                .check(core);
    }

    @Test
    void editingDoesNotSeeEvaluationOrTraining() {
        noClasses().that().resideInAPackage("dev.emend.edit..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.emend.eval..", "dev.emend.data..",
                        "dev.emend.trace..", "dev.emend.train..", "dev.emend.world..")
                .check(core);
    }

    @Test
    void evaluationSeesEditingModelTokenizerAndTensorOnly() {
        // design.md §3.3: eval → edit, data, model, tokenizer, tensor; it scores editors through the Editor interface
        noClasses().that().resideInAPackage("dev.emend.eval..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.emend.edit.rome..", "dev.emend.stats..",
                        "dev.emend.trace..", "dev.emend.train..", "dev.emend.world..", "dev.emend.config..", "dev.emend.gguf..")
                .check(core);
    }

    @Test
    void dataSeesOnlyEditRequestsAndConfig() {
        // design.md §3.3: data → edit (EditRequest), config
        noClasses().that().resideInAPackage("dev.emend.data..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.emend.model..", "dev.emend.tokenizer..",
                        "dev.emend.tensor..", "dev.emend.eval..", "dev.emend.stats..", "dev.emend.trace..",
                        "dev.emend.train..", "dev.emend.world..", "dev.emend.edit.rome..", "dev.emend.edit.memit..",
                        "dev.emend.edit.locate..")
                .check(core);
    }

    @Test
    void sharedEditingCodeDoesNotSeeMethods() {
        // edit.locate is shared by every method; of the top-level edit package only the Editors registry knows them
        noClasses().that().resideInAPackage("dev.emend.edit.locate..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.emend.edit.rome..")
                .check(core);
        noClasses().that().resideInAPackage("dev.emend.edit").and().doNotHaveSimpleName("Editors")
                .should().dependOnClassesThat().resideInAnyPackage("dev.emend.edit.rome..", "dev.emend.edit.locate..")
                .check(core);
    }

    @Test
    void embeddingSeesOnlyTensorAndTokenizer() {
        // embed is a leaf used by editors (IKE's retrieval); it never sees models, editing or evaluation
        noClasses().that().resideInAPackage("dev.emend.embed..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.emend.model..", "dev.emend.edit..",
                        "dev.emend.eval..", "dev.emend.stats..", "dev.emend.data..", "dev.emend.trace..",
                        "dev.emend.train..", "dev.emend.world..", "dev.emend.config..", "dev.emend.gguf..")
                .check(core);
    }

    @Test
    void coreNeverPrintsOrExits() {
        noClasses().should().accessField(System.class, "out")
                .orShould().accessField(System.class, "err")
                .orShould().callMethod(System.class, "exit", int.class)
                .check(core);
    }
}
