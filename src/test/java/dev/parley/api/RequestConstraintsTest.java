package dev.parley.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.annotation.Annotation;
import java.lang.reflect.AnnotatedParameterizedType;
import java.lang.reflect.Field;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import jakarta.validation.Constraint;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import jakarta.validation.constraints.Email;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;

import org.hibernate.validator.messageinterpolation.ParameterMessageInterpolator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * {@link RequestConstraints} against Hibernate Validator, the implementation it replaced, as the oracle: for generated
 * request bodies of every kind the API takes, the same fields break the same constraints with the same messages
 * (Hibernate Validator names a list's element {@code models[2].<list element>}, Parley {@code models[2]}). And every
 * record of the API that carries a constraint is one RequestConstraints can check, so that none is silently ignored.
 */
class RequestConstraintsTest {

    private static jakarta.validation.ValidatorFactory factory;
    private static Validator oracle;

    @BeforeAll
    static void oracle() {
        factory = Validation.byDefaultProvider().configure()
                .messageInterpolator(new ParameterMessageInterpolator()).buildValidatorFactory();
        oracle = factory.getValidator();
    }

    @AfterAll
    static void close() {
        factory.close();
    }

    @Property(tries = 3000)
    void sameErrorsAsBeanValidation(@ForAll("bodies") Record body) {
        Set<String> expected = oracle.validate(body).stream().map(RequestConstraintsTest::describe)
                .collect(Collectors.toSet());
        Set<String> actual;
        try {
            RequestConstraints.optional(body);
            actual = Set.of();
        } catch (RequestConstraints.Invalid e) {
            assertThat(e.errors()).isNotEmpty();
            actual = e.errors().stream().map(f -> f.field() + ": " + f.message()).collect(Collectors.toSet());
            assertThat(actual).hasSameSizeAs(e.errors());
        }
        assertThat(actual).as("%s", body).isEqualTo(expected);
    }

    private static String describe(ConstraintViolation<?> v) {
        String path = v.getPropertyPath().toString().replace(".<list element>", "");
        return path + ": " + v.getMessage();
    }

    @Test
    void aMissingRequiredBodyIsOneError() {
        assertThatThrownBy(() -> RequestConstraints.required((Views.CreateTenant) null))
                .isInstanceOfSatisfying(RequestConstraints.Invalid.class, e -> assertThat(e.errors())
                        .containsExactly(new Problem.FieldError("body", "must not be null")));
        assertThat(RequestConstraints.optional((Views.CreateConversation) null)).isNull();
        var fine = new Views.CreateTenant("acme");
        assertThat(RequestConstraints.required(fine)).isSameAs(fine);
    }

    @Test
    void everyConstrainedRecordOfTheApiCanBeChecked() {
        var classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.parley.api");
        List<Class<?>> constrained = new ArrayList<>();
        for (JavaClass c : classes) {
            Class<?> type = c.reflect();
            if (type.isRecord() && hasConstraints(type)) {
                constrained.add(type);
                try { // an unsupported constraint would be an IllegalStateException
                    RequestConstraints.optional(anyInstanceOf(type));
                } catch (RequestConstraints.Invalid expected) {
                    // nulls break @NotBlank and @NotNull
                }
            }
        }
        assertThat(constrained).extracting(Class::getSimpleName).contains("SendMessage", "CreateConversation",
                "UpdateConversation", "CreateTenant", "CreateKey", "CreateUpstream", "ChangeUpstream");
    }

    record Unsupported(@Email String address) {
    }

    record OnAMap(java.util.Map<@NotBlank String, String> labels) {
    }

    record WrongType(@NotBlank List<String> names) {
    }

    record Fine(@NotBlank @Size(max = 3) String name, List<@Size(min = 2) String> tags) {
    }

    @Test
    void aConstraintItCannotCheckFailsLoudly() {
        assertThatThrownBy(() -> RequestConstraints.optional(new Unsupported("x")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("Email");
        assertThatThrownBy(() -> RequestConstraints.optional(new OnAMap(null)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("List's elements");
        assertThatThrownBy(() -> RequestConstraints.optional(new WrongType(null)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("does not apply");
    }

    @Test
    void errorsNameTheFieldAndTheListElement() {
        assertThatThrownBy(() -> RequestConstraints.optional(new Fine("  ", List.of("ok", "x", "y"))))
                .isInstanceOfSatisfying(RequestConstraints.Invalid.class, e -> assertThat(e.errors())
                        .containsExactlyInAnyOrder(new Problem.FieldError("name", "must not be blank"),
                                new Problem.FieldError("tags[1]", "size must be between 2 and 2147483647"),
                                new Problem.FieldError("tags[2]", "size must be between 2 and 2147483647")));
    }

    private static boolean hasConstraints(Class<?> type) {
        for (Field f : type.getDeclaredFields()) {
            if (Arrays.stream(f.getDeclaredAnnotations()).anyMatch(RequestConstraintsTest::isConstraint)) {
                return true;
            }
            if (f.getAnnotatedType() instanceof AnnotatedParameterizedType p && Arrays
                    .stream(p.getAnnotatedActualTypeArguments())
                    .anyMatch(a -> Arrays.stream(a.getAnnotations()).anyMatch(RequestConstraintsTest::isConstraint))) {
                return true;
            }
        }
        return false;
    }

    private static boolean isConstraint(Annotation a) {
        return a.annotationType().isAnnotationPresent(Constraint.class);
    }

    /** A record with every component null (or 0 / false), enough to check which rules it has. */
    private static Record anyInstanceOf(Class<?> type) {
        var components = type.getRecordComponents();
        Object[] values = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
            values[i] = types[i] == boolean.class ? false : types[i].isPrimitive() ? (Object) 0 : null;
        }
        try {
            var constructor = type.getDeclaredConstructor(types);
            constructor.setAccessible(true);
            return (Record) constructor.newInstance(values);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(type + ": " + e, e);
        }
    }

    // --- generated bodies: values around every bound, blank and non-blank, null, lists with bad elements

    @Provide
    Arbitrary<Record> bodies() {
        Arbitrary<String> name = text(100);
        Arbitrary<String> model = text(100);
        Arbitrary<Integer> tokens = Arbitraries.integers().between(-3, 3).injectNull(0.3);
        Arbitrary<Boolean> flag = Arbitraries.of(true, false).injectNull(0.3);
        return Arbitraries.oneOf(
                Combinators.combine(text(ChatResource.MAX_CONTENT_CHARS), model, flag, tokens)
                        .as(ChatResource.SendMessage::new),
                Combinators.combine(text(200), model).as((t, m) -> new Views.CreateConversation(t, m, null)),
                Combinators.combine(text(200), flag).as((t, a) -> new Views.UpdateConversation(t, a, null)),
                name.map(Views.CreateTenant::new),
                Combinators.combine(name, list(text(20), 5)).as((n, s) -> new Views.CreateKey(n, s, Instant.EPOCH)),
                Combinators.combine(name, text(2000), text(4096), list(text(100), 101))
                        .as(Views.CreateUpstream::new),
                Combinators.combine(name, text(2000), text(4096), list(text(100), 101))
                        .as(Views.ChangeUpstream::new));
    }

    /** Null, empty, blank, or text of a length at or near {@code max} or small, blank or not. */
    private static Arbitrary<String> text(int max) {
        Arbitrary<Integer> length = Arbitraries.oneOf(Arbitraries.of(0, 1, 2, max - 1, max, max + 1),
                Arbitraries.integers().between(0, Math.min(max + 2, 300)));
        Arbitrary<Character> fill = Arbitraries.of(' ', '\t', '\n', 'a', 'é', '\u2003');
        return Combinators.combine(length, fill, Arbitraries.of(true, false))
                .as((n, c, blank) -> {
                    if (n == 0) {
                        return "";
                    }
                    char[] chars = new char[n];
                    Arrays.fill(chars, c);
                    if (!blank) {
                        chars[n / 2] = 'x';
                    }
                    return new String(chars);
                }).injectNull(0.15);
    }

    /** Null, empty, or up to a little over {@code max} elements, some of them null or broken. */
    private static Arbitrary<List<String>> list(Arbitrary<String> element, int max) {
        Arbitrary<Integer> size = Arbitraries.oneOf(Arbitraries.of(0, 1, max - 1, max, max + 1),
                Arbitraries.integers().between(0, 4));
        return size.flatMap(n -> element.list().ofSize(n)).map(l -> (List<String>) new ArrayList<>(l))
                .injectNull(0.15);
    }
}
