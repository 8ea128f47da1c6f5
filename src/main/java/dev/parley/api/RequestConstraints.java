package dev.parley.api;

import java.lang.annotation.Annotation;
import java.lang.reflect.AnnotatedParameterizedType;
import java.lang.reflect.AnnotatedType;
import java.lang.reflect.Field;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import jakarta.validation.Constraint;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;

/**
 * Checks a request body, a record, against the Bean Validation annotations on its components and on the elements of a
 * list component ({@code NotNull}, {@code NotBlank}, {@code NotEmpty}, {@code Size}, {@code Min}), with Bean
 * Validation's own messages ("must not be blank", "size must be between 0 and 100"). A body that breaks any of them
 * is an {@link Invalid} (400, {@code invalid-request}, one entry per broken constraint).
 * <p>
 * Hibernate Validator did this until its factory, built over the API's classes at every start, was found to take
 * 15 % of the main thread's start-up for seven flat records (bench/README.md, StartupTime). The annotations stayed:
 * they are what the checks read, and SmallRye OpenAPI still turns them into the schema's {@code maxLength},
 * {@code minItems} and so on. A record carrying any other constraint fails the first time it is checked, so that a
 * constraint is never silently ignored; RequestConstraintsTest checks every request record of the API that way.
 */
public final class RequestConstraints {

    /** The body broke its constraints; {@link ProblemMapper} answers 400 with the field errors. */
    public static final class Invalid extends RuntimeException {
        private final List<Problem.FieldError> errors;

        Invalid(List<Problem.FieldError> errors) {
            super("request is invalid", null, false, false);
            this.errors = List.copyOf(errors);
        }

        public List<Problem.FieldError> errors() {
            return errors;
        }
    }

    private static final ClassValue<List<Check>> CHECKS = new ClassValue<>() {
        @Override
        protected List<Check> computeValue(Class<?> type) {
            return checksOf(type);
        }
    };

    private RequestConstraints() {
    }

    /** A body the operation needs: missing, it is the one error {@code body: must not be null}. */
    public static <T extends Record> T required(T body) {
        if (body == null) {
            throw new Invalid(List.of(new Problem.FieldError("body", "must not be null")));
        }
        return optional(body);
    }

    /** A body the operation may do without (null passes). */
    public static <T extends Record> T optional(T body) {
        if (body == null) {
            return null;
        }
        List<Problem.FieldError> errors = null;
        for (Check check : CHECKS.get(body.getClass())) {
            errors = check.apply(body, errors);
        }
        if (errors != null) {
            throw new Invalid(errors);
        }
        return body;
    }

    /** The constraints of one component: on its value, and on each element when it is a list. */
    private record Check(RecordComponent component, List<Rule> onValue, List<Rule> onElements) {
        List<Problem.FieldError> apply(Record body, List<Problem.FieldError> errors) {
            Object value;
            try {
                value = component.getAccessor().invoke(body);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot read " + component, e);
            }
            String name = component.getName();
            errors = broken(name, value, onValue, errors);
            if (value instanceof List<?> list && !onElements.isEmpty()) {
                for (int i = 0; i < list.size(); i++) {
                    errors = broken(name + "[" + i + "]", list.get(i), onElements, errors);
                }
            }
            return errors;
        }

        private static List<Problem.FieldError> broken(String field, Object value, List<Rule> rules,
                List<Problem.FieldError> errors) {
            for (Rule rule : rules) {
                if (!rule.holds(value)) {
                    errors = errors == null ? new ArrayList<>() : errors;
                    errors.add(new Problem.FieldError(field, rule.message()));
                }
            }
            return errors;
        }
    }

    private interface Rule {
        boolean holds(Object value);

        String message();
    }

    private record NotNullRule(String message) implements Rule {
        public boolean holds(Object value) {
            return value != null;
        }
    }

    /** Hibernate Validator's rule: not null, and not only white space (Unicode's too, as {@link String#isBlank}). */
    private record NotBlankRule(String message) implements Rule {
        public boolean holds(Object value) {
            return value != null && !value.toString().isBlank();
        }
    }

    private record NotEmptyRule(String message) implements Rule {
        public boolean holds(Object value) {
            return value != null && size(value) > 0;
        }
    }

    private record SizeRule(int min, int max, String message) implements Rule {
        public boolean holds(Object value) {
            if (value == null) {
                return true;
            }
            int size = size(value);
            return size >= min && size <= max;
        }
    }

    private record MinRule(long min, String message) implements Rule {
        public boolean holds(Object value) {
            return value == null || ((Number) value).longValue() >= min;
        }
    }

    private static int size(Object value) {
        if (value instanceof CharSequence s) {
            return s.length();
        }
        if (value instanceof Collection<?> c) {
            return c.size();
        }
        if (value instanceof Map<?, ?> m) {
            return m.size();
        }
        throw new IllegalStateException("no size for " + value.getClass().getName());
    }

    private static List<Check> checksOf(Class<?> type) {
        if (!type.isRecord()) {
            throw new IllegalStateException(type.getName() + " is not a record");
        }
        List<Check> checks = new ArrayList<>();
        for (RecordComponent component : type.getRecordComponents()) {
            Field field;
            try {
                field = type.getDeclaredField(component.getName());
            } catch (NoSuchFieldException e) {
                throw new IllegalStateException("no field for " + component, e);
            }
            List<Rule> onValue = rules(field.getDeclaredAnnotations(), component.getType(), type, component);
            List<Rule> onElements = List.of();
            AnnotatedType annotated = field.getAnnotatedType();
            if (annotated instanceof AnnotatedParameterizedType parameterized) {
                AnnotatedType[] arguments = parameterized.getAnnotatedActualTypeArguments();
                if (arguments.length == 1 && List.class.isAssignableFrom(component.getType())) {
                    onElements = rules(arguments[0].getAnnotations(), rawType(arguments[0]), type, component);
                } else if (Arrays.stream(arguments).anyMatch(a -> Arrays.stream(a.getAnnotations())
                        .anyMatch(RequestConstraints::isConstraint))) {
                    throw new IllegalStateException("constraints on the type arguments of " + component
                            + " of " + type.getName() + " are checked only on a List's elements");
                }
            }
            if (!onValue.isEmpty() || !onElements.isEmpty()) {
                checks.add(new Check(component, onValue, onElements));
            }
        }
        return List.copyOf(checks);
    }

    private static Class<?> rawType(AnnotatedType type) {
        return type.getType() instanceof Class<?> c ? c : Object.class;
    }

    private static List<Rule> rules(Annotation[] annotations, Class<?> valueType, Class<?> record,
            RecordComponent component) {
        List<Rule> rules = new ArrayList<>();
        for (Annotation a : annotations) {
            if (!isConstraint(a)) {
                continue;
            }
            Rule rule;
            if (a instanceof NotNull n && n.groups().length == 0) {
                rule = new NotNullRule(message(n.message(), "must not be null"));
            } else if (a instanceof NotBlank n && n.groups().length == 0) {
                rule = new NotBlankRule(message(n.message(), "must not be blank"));
            } else if (a instanceof NotEmpty n && n.groups().length == 0) {
                rule = new NotEmptyRule(message(n.message(), "must not be empty"));
            } else if (a instanceof Size s && s.groups().length == 0) {
                rule = new SizeRule(s.min(), s.max(),
                        message(s.message(), "size must be between " + s.min() + " and " + s.max()));
            } else if (a instanceof Min m && m.groups().length == 0) {
                rule = new MinRule(m.value(), message(m.message(), "must be greater than or equal to " + m.value()));
            } else {
                throw new IllegalStateException("constraint " + a + " on " + component + " of " + record.getName()
                        + " is not one RequestConstraints checks (or has validation groups)");
            }
            requireType(rule, valueType, component, record);
            rules.add(rule);
        }
        return List.copyOf(rules);
    }

    private static void requireType(Rule rule, Class<?> valueType, RecordComponent component, Class<?> record) {
        boolean fits = true;
        if (rule instanceof NotBlankRule) {
            fits = CharSequence.class.isAssignableFrom(valueType);
        } else if (rule instanceof NotEmptyRule || rule instanceof SizeRule) {
            fits = sized(valueType);
        } else if (rule instanceof MinRule) {
            fits = valueType == Integer.class || valueType == Long.class || valueType == Short.class
                    || valueType == Byte.class || valueType == int.class || valueType == long.class;
        }
        if (!fits) {
            throw new IllegalStateException(rule.getClass().getSimpleName() + " does not apply to "
                    + valueType.getSimpleName() + " (" + component + " of " + record.getName() + ")");
        }
    }

    private static boolean sized(Class<?> type) {
        return CharSequence.class.isAssignableFrom(type) || Collection.class.isAssignableFrom(type)
                || Map.class.isAssignableFrom(type);
    }

    private static boolean isConstraint(Annotation a) {
        return a.annotationType().isAnnotationPresent(Constraint.class);
    }

    /** The annotation's own message when it has one, else Bean Validation's default for it. */
    private static String message(String declared, String standard) {
        return declared.startsWith("{jakarta.validation.constraints.") ? standard : declared;
    }
}
