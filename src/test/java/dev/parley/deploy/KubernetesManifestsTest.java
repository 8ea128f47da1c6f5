package dev.parley.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import dev.parley.store.DatabaseUrl;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * The manifests under {@code k8s/}, rendered without kubectl by {@link Kustomization}, read as typed fabric8
 * Kubernetes objects and held to what Parley needs in a cluster: the right workload per database, probes on the real
 * health endpoints, locked-down containers, and settings that agree with the application's own configuration.
 */
class KubernetesManifestsTest {

    private static final Path OVERLAYS = Path.of("k8s", "overlays");
    private static final String POSTGRES = "postgres";
    private static final String EDGE = "edge-sqlite";
    private static final String PARLEY = "parley";
    private static final String STARTED = "/q/health/started";
    private static final String READY = "/q/health/ready";
    private static final String LIVE = "/q/health/live";
    private static final Set<String> HEALTH_ENDPOINTS = Set.of(STARTED, READY, LIVE);
    private static final Set<String> WORKLOAD_KINDS = Set.of("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
            "Job", "CronJob", "Pod", "ReplicationController");
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final Map<String, Overlay> RENDERED = new ConcurrentHashMap<>();

    // --- What each overlay is made of

    @Test
    void postgresOverlayRendersServerDisruptionBudgetAndBundledDatabase() {
        assertThat(Overlay.of(POSTGRES).ids()).as("objects rendered from k8s/overlays/postgres")
                .containsExactlyInAnyOrder("ConfigMap/parley-config", "Secret/parley-secrets", "Service/parley",
                        "Secret/parley-database", "Deployment/parley", "PodDisruptionBudget/parley",
                        "Secret/parley-postgres", "Service/parley-postgres", "StatefulSet/parley-postgres");
    }

    @Test
    void edgeOverlayRendersOneStatefulSetAndNoAutoscaler() {
        Overlay edge = Overlay.of(EDGE);
        assertThat(edge.ids()).as("objects rendered from k8s/overlays/edge-sqlite")
                .containsExactlyInAnyOrder("ConfigMap/parley-config", "Secret/parley-secrets", "Service/parley",
                        "StatefulSet/parley");
        assertThat(edge.ids()).as("SQLite has one writer: nothing may scale the edge workload")
                .noneMatch(id -> id.startsWith("HorizontalPodAutoscaler/"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = { POSTGRES, EDGE })
    void manifestsUseOnlyFieldsTheKubernetesApiKnows(String overlay) {
        List<String> problems = new ArrayList<>();
        for (HasMetadata object : Overlay.of(overlay).objects()) {
            collectUnknownFields(object, id(object), problems);
        }
        assertNoProblems(overlay, "fields unknown to the Kubernetes API model (a typo, or a value of the wrong type)",
                problems);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = { POSTGRES, EDGE })
    void parleyImageIsThePlaceholderThatKustomizeImagesOverrides(String overlay) {
        assertThat(Overlay.of(overlay).parley().container(PARLEY).getImage()).isEqualTo("parley:latest");
    }

    // --- Probes and ports

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = { POSTGRES, EDGE })
    void probesUseTheSmallRyeHealthEndpointsOnTheHttpPort(String overlay) {
        int appPort = appHttpPort();
        Overlay rendered = Overlay.of(overlay);
        Workload parley = rendered.parley();
        Container container = parley.container(PARLEY);
        List<String> problems = new ArrayList<>();
        checkHttpProbe(parley, container, "startupProbe", container.getStartupProbe(), STARTED, appPort, problems);
        checkHttpProbe(parley, container, "readinessProbe", container.getReadinessProbe(), READY, appPort, problems);
        checkHttpProbe(parley, container, "livenessProbe", container.getLivenessProbe(), LIVE, appPort, problems);
        rendered.env(container, "PORT").filter(port -> !port.equals(String.valueOf(appPort)))
                .ifPresent(port -> problems.add(parley.id() + ": PORT=" + port + " but the probes and container port"
                        + " expect " + appPort));
        for (Workload workload : rendered.workloads()) {
            for (Container c : workload.pod().getContainers()) {
                for (Probe probe : probes(c)) {
                    if (probe.getHttpGet() != null && !HEALTH_ENDPOINTS.contains(probe.getHttpGet().getPath())) {
                        problems.add(workload.id() + " container " + c.getName() + ": probe path "
                                + probe.getHttpGet().getPath() + " is not one of " + HEALTH_ENDPOINTS);
                    }
                }
            }
        }
        assertNoProblems(overlay, "probes", problems);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = { POSTGRES, EDGE })
    void everyServiceSelectsPodsAndTargetsADeclaredContainerPort(String overlay) {
        Overlay rendered = Overlay.of(overlay);
        List<String> problems = new ArrayList<>();
        for (Service service : rendered.all(Service.class)) {
            Map<String, String> selector = service.getSpec().getSelector();
            List<Workload> selected = rendered.workloads().stream()
                    .filter(w -> selector != null && !selector.isEmpty() && matches(selector, w.labels())).toList();
            if (selected.isEmpty()) {
                problems.add(id(service) + ": its selector " + selector + " matches no pod template");
            }
            for (ServicePort port : service.getSpec().getPorts()) {
                IntOrString target = port.getTargetPort() != null ? port.getTargetPort()
                        : new IntOrString(port.getPort());
                for (Workload workload : selected) {
                    Integer resolved = workload.pod().getContainers().stream()
                            .map(c -> containerPort(c, target)).filter(Objects::nonNull).findFirst().orElse(null);
                    if (resolved == null) {
                        problems.add(id(service) + " port " + port.getName() + ": targetPort " + show(target)
                                + " is not a container port of " + workload.id());
                    }
                }
            }
        }
        assertNoProblems(overlay, "Services", problems);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = { POSTGRES, EDGE })
    void parleyServiceReachesOnlyParleyOnTheApplicationPort(String overlay) {
        int appPort = appHttpPort();
        Overlay rendered = Overlay.of(overlay);
        Service service = rendered.find(Service.class, PARLEY).orElseThrow();
        List<Workload> selected = rendered.workloads().stream()
                .filter(w -> matches(service.getSpec().getSelector(), w.labels())).toList();
        assertThat(selected).as("pod templates selected by Service/parley").extracting(Workload::id)
                .containsExactly(rendered.parley().id());
        for (ServicePort port : service.getSpec().getPorts()) {
            assertThat(containerPort(rendered.parley().container(PARLEY), port.getTargetPort()))
                    .as("Service/parley port %s targets the container port of quarkus.http.port", port.getName())
                    .isEqualTo(appPort);
        }
    }

    // --- Locked-down pods

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = { POSTGRES, EDGE })
    void everyContainerRunsNonRootReadOnlyWithoutPrivileges(String overlay) {
        List<String> problems = new ArrayList<>();
        for (Workload workload : Overlay.of(overlay).workloads()) {
            PodSpec pod = workload.pod();
            PodSecurityContext podContext = Optional.ofNullable(pod.getSecurityContext())
                    .orElseGet(PodSecurityContext::new);
            if (!workload.claimTemplates().isEmpty() && podContext.getFsGroup() == null) {
                problems.add(workload.id() + ": mounts a persistent volume but sets no fsGroup, so it may not be"
                        + " writable for the non-root user");
            }
            for (Container c : allContainers(pod)) {
                String where = workload.id() + " container " + c.getName() + ": ";
                SecurityContext context = Optional.ofNullable(c.getSecurityContext()).orElseGet(SecurityContext::new);
                Boolean nonRoot = first(context.getRunAsNonRoot(), podContext.getRunAsNonRoot());
                Long user = first(context.getRunAsUser(), podContext.getRunAsUser());
                String seccomp = first(
                        context.getSeccompProfile() == null ? null : context.getSeccompProfile().getType(),
                        podContext.getSeccompProfile() == null ? null : podContext.getSeccompProfile().getType());
                if (!Boolean.TRUE.equals(nonRoot)) {
                    problems.add(where + "runAsNonRoot is not true");
                }
                if (user == null || user == 0) {
                    problems.add(where + "no fixed non-root runAsUser (got " + user + ")");
                }
                if (!Boolean.TRUE.equals(context.getReadOnlyRootFilesystem())) {
                    problems.add(where + "readOnlyRootFilesystem is not true");
                }
                if (!Boolean.FALSE.equals(context.getAllowPrivilegeEscalation())) {
                    problems.add(where + "allowPrivilegeEscalation is not false");
                }
                if (Boolean.TRUE.equals(context.getPrivileged())) {
                    problems.add(where + "is privileged");
                }
                if (context.getCapabilities() == null || !context.getCapabilities().getDrop().contains("ALL")) {
                    problems.add(where + "does not drop ALL capabilities");
                } else if (!context.getCapabilities().getAdd().isEmpty()) {
                    problems.add(where + "adds capabilities " + context.getCapabilities().getAdd());
                }
                if (!"RuntimeDefault".equals(seccomp)) {
                    problems.add(where + "seccompProfile is " + seccomp + ", not RuntimeDefault");
                }
                if (workload.mount(c, "/tmp").filter(v -> v.getEmptyDir() != null).isEmpty()) {
                    problems.add(where + "has no writable emptyDir at /tmp (the root filesystem is read-only)");
                }
            }
        }
        assertNoProblems(overlay, "security contexts", problems);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = { POSTGRES, EDGE })
    void everyContainerRequestsAndLimitsCpuAndMemory(String overlay) {
        List<String> problems = new ArrayList<>();
        for (Workload workload : Overlay.of(overlay).workloads()) {
            for (Container c : allContainers(workload.pod())) {
                String where = workload.id() + " container " + c.getName() + ": ";
                Map<String, Quantity> requests = c.getResources() == null ? Map.of() : c.getResources().getRequests();
                Map<String, Quantity> limits = c.getResources() == null ? Map.of() : c.getResources().getLimits();
                for (String resource : List.of("cpu", "memory")) {
                    Quantity request = requests == null ? null : requests.get(resource);
                    Quantity limit = limits == null ? null : limits.get(resource);
                    if (request == null || limit == null) {
                        problems.add(where + resource + " request and limit must both be set (request " + request
                                + ", limit " + limit + ")");
                    } else if (amount(request).compareTo(amount(limit)) > 0) {
                        problems.add(where + resource + " request " + request + " exceeds its limit " + limit);
                    }
                }
            }
        }
        assertNoProblems(overlay, "resources", problems);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = { POSTGRES, EDGE })
    void parleyWritesOnlyToTmpAndItsOwnDataVolume(String overlay) {
        Workload parley = Overlay.of(overlay).parley();
        List<String> problems = new ArrayList<>();
        for (VolumeMount mount : parley.container(PARLEY).getVolumeMounts()) {
            boolean scratch = mount.getMountPath().equals("/tmp")
                    && parley.volume(mount.getName()).filter(v -> v.getEmptyDir() != null).isPresent();
            boolean data = parley.claimTemplates().stream()
                    .anyMatch(claim -> claim.getMetadata().getName().equals(mount.getName()));
            if (!scratch && !data) {
                problems.add(parley.id() + ": mounts volume " + mount.getName() + " at " + mount.getMountPath()
                        + ", which is neither the /tmp emptyDir nor a volumeClaimTemplate");
            }
        }
        assertNoProblems(overlay, "writable paths", problems);
    }

    // --- Settings that must agree with the application

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = { POSTGRES, EDGE })
    void everyReferencedSecretAndConfigMapKeyExists(String overlay) {
        Overlay rendered = Overlay.of(overlay);
        List<String> problems = new ArrayList<>();
        for (Workload workload : rendered.workloads()) {
            for (Container c : allContainers(workload.pod())) {
                String where = workload.id() + " container " + c.getName() + ": ";
                for (EnvVar env : c.getEnv()) {
                    if (env.getValueFrom() == null) {
                        continue;
                    }
                    var secretRef = env.getValueFrom().getSecretKeyRef();
                    var configRef = env.getValueFrom().getConfigMapKeyRef();
                    if (secretRef != null && rendered.secretValue(secretRef.getName(), secretRef.getKey()).isEmpty()) {
                        problems.add(where + env.getName() + " reads key " + secretRef.getKey() + " of Secret "
                                + secretRef.getName() + missing(rendered.find(Secret.class, secretRef.getName())));
                    }
                    if (configRef != null
                            && rendered.configValue(configRef.getName(), configRef.getKey()).isEmpty()) {
                        problems.add(where + env.getName() + " reads key " + configRef.getKey() + " of ConfigMap "
                                + configRef.getName() + missing(rendered.find(ConfigMap.class, configRef.getName())));
                    }
                }
                for (EnvFromSource source : c.getEnvFrom()) {
                    if (source.getConfigMapRef() != null
                            && rendered.find(ConfigMap.class, source.getConfigMapRef().getName()).isEmpty()) {
                        problems.add(where + "envFrom ConfigMap " + source.getConfigMapRef().getName()
                                + " is not rendered");
                    }
                    if (source.getSecretRef() != null
                            && rendered.find(Secret.class, source.getSecretRef().getName()).isEmpty()) {
                        problems.add(where + "envFrom Secret " + source.getSecretRef().getName() + " is not rendered");
                    }
                }
            }
            for (Volume volume : workload.pod().getVolumes()) {
                if (volume.getSecret() != null
                        && rendered.find(Secret.class, volume.getSecret().getSecretName()).isEmpty()) {
                    problems.add(workload.id() + ": volume " + volume.getName() + " needs Secret "
                            + volume.getSecret().getSecretName() + ", which is not rendered");
                }
                if (volume.getConfigMap() != null
                        && rendered.find(ConfigMap.class, volume.getConfigMap().getName()).isEmpty()) {
                    problems.add(workload.id() + ": volume " + volume.getName() + " needs ConfigMap "
                            + volume.getConfigMap().getName() + ", which is not rendered");
                }
            }
        }
        assertNoProblems(overlay, "references", problems);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = { POSTGRES, EDGE })
    void terminationGraceOutlastsDrainDelayPlusShutdownGrace(String overlay) {
        Overlay rendered = Overlay.of(overlay);
        Workload parley = rendered.parley();
        Container container = parley.container(PARLEY);
        String grace = rendered.env(container, "PARLEY_SHUTDOWN_GRACE").orElseThrow(() -> new AssertionError(
                overlay + ": " + parley.id() + " does not set PARLEY_SHUTDOWN_GRACE, so terminationGracePeriodSeconds"
                        + " cannot be checked against it; set it in ConfigMap parley-config"));
        String drain = rendered.env(container, "PARLEY_SHUTDOWN_DRAIN_DELAY").orElse("0s");
        long terminationGrace = Optional.ofNullable(parley.pod().getTerminationGracePeriodSeconds()).orElse(30L);
        assertThat(Duration.ofSeconds(terminationGrace))
                .as("%s: %s terminationGracePeriodSeconds (%s) must exceed PARLEY_SHUTDOWN_DRAIN_DELAY (%s)"
                        + " + PARLEY_SHUTDOWN_GRACE (%s), or the kubelet SIGKILLs replies still inside their grace",
                        overlay, parley.id(), terminationGrace, drain, grace)
                .isGreaterThan(duration(grace).plus(duration(drain)));
    }

    // --- PostgreSQL overlay

    @Test
    void postgresOverlayRunsSeveralReplicasWithRollingUpdates() {
        Deployment deployment = Overlay.of(POSTGRES).find(Deployment.class, PARLEY).orElseThrow();
        assertThat(deployment.getSpec().getReplicas()).as("Deployment/parley replicas").isGreaterThanOrEqualTo(2);
        assertThat(Optional.ofNullable(deployment.getSpec().getStrategy()).map(s -> s.getType())
                .orElse("RollingUpdate")).as("Deployment/parley strategy").isEqualTo("RollingUpdate");
    }

    @Test
    void postgresOverlayDisruptionBudgetCoversParleyAndStillLetsNodesDrain() {
        Overlay rendered = Overlay.of(POSTGRES);
        Workload parley = rendered.parley();
        List<PodDisruptionBudget> budgets = rendered.all(PodDisruptionBudget.class);
        assertThat(budgets).as("PodDisruptionBudgets").hasSize(1);
        PodDisruptionBudget budget = budgets.get(0);
        assertThat(matches(budget.getSpec().getSelector(), parley.labels()))
                .as("%s selector %s matches the labels %s of %s", id(budget), budget.getSpec().getSelector(),
                        parley.labels(), parley.id())
                .isTrue();
        int replicas = parley.replicas();
        IntOrString minAvailable = budget.getSpec().getMinAvailable();
        IntOrString maxUnavailable = budget.getSpec().getMaxUnavailable();
        assertThat(minAvailable == null ^ maxUnavailable == null)
                .as("%s sets exactly one of minAvailable and maxUnavailable", id(budget)).isTrue();
        int allowedDisruptions = minAvailable != null ? replicas - scaled(minAvailable, replicas)
                : scaled(maxUnavailable, replicas);
        assertThat(allowedDisruptions)
                .as("%s allows this many of %s replicas to be evicted; 0 would block every node drain", id(budget),
                        replicas)
                .isBetween(1, replicas - 1);
    }

    @Test
    void postgresOverlayDatabaseUrlReachesTheBundledPostgresWithItsCredentials() {
        Overlay rendered = Overlay.of(POSTGRES);
        Container parley = rendered.parley().container(PARLEY);
        DatabaseUrl url = DatabaseUrl.parse(rendered.env(parley, "DATABASE_URL")
                .orElseThrow(() -> new AssertionError("postgres: Parley has no DATABASE_URL")));
        assertThat(url.backend()).as("backend chosen by the rendered DATABASE_URL")
                .isEqualTo(DatabaseUrl.Backend.POSTGRESQL);

        Service service = rendered.find(Service.class, url.host()).orElseThrow(() -> new AssertionError(
                "postgres: DATABASE_URL names host " + url.host() + ", but no Service of that name is rendered"));
        assertThat(service.getSpec().getPorts()).as("ports of %s", id(service)).extracting(ServicePort::getPort)
                .contains(url.port());
        Workload database = rendered.workloads().stream().filter(w -> matches(service.getSpec().getSelector(),
                w.labels())).findFirst().orElseThrow();
        Container postgres = database.pod().getContainers().get(0);
        assertThat(rendered.env(postgres, "POSTGRES_USER")).as("POSTGRES_USER vs DATABASE_URL user")
                .contains(url.username());
        assertThat(rendered.env(postgres, "POSTGRES_PASSWORD")).as("POSTGRES_PASSWORD vs DATABASE_URL password")
                .contains(url.password());
        assertThat(rendered.env(postgres, "POSTGRES_DB")).as("POSTGRES_DB vs DATABASE_URL database")
                .contains(url.database());
        Path pgdata = Path.of(rendered.env(postgres, "PGDATA").orElse("/var/lib/postgresql/data"));
        assertThat(database.claimMountPaths(postgres)).as("%s keeps PGDATA %s on a persistent volume", database.id(),
                pgdata).anyMatch(pgdata::startsWith);
    }

    // --- Edge (SQLite) overlay

    @Test
    void edgeOverlayRunsExactlyOneParleyThatIsStoppedBeforeItsSuccessorStarts() {
        Overlay edge = Overlay.of(EDGE);
        assertThat(edge.workloads()).as("workloads of the edge overlay").extracting(Workload::id)
                .containsExactly("StatefulSet/parley");
        StatefulSet statefulSet = edge.find(StatefulSet.class, PARLEY).orElseThrow();
        assertThat(statefulSet.getSpec().getReplicas()).as("StatefulSet/parley replicas (SQLite has one writer)")
                .isEqualTo(1);
        assertThat(Optional.ofNullable(statefulSet.getSpec().getPodManagementPolicy()).orElse("OrderedReady"))
                .as("podManagementPolicy").isEqualTo("OrderedReady");
        assertThat(Optional.ofNullable(statefulSet.getSpec().getUpdateStrategy()).map(s -> s.getType())
                .orElse("RollingUpdate")).as("updateStrategy").isEqualTo("RollingUpdate");
        assertThat(Optional.ofNullable(statefulSet.getSpec().getUpdateStrategy())
                .map(s -> s.getRollingUpdate()).map(r -> r.getMaxUnavailable()).map(IntOrString::getIntVal)
                .orElse(1)).as("rollingUpdate.maxUnavailable").isEqualTo(1);
    }

    @Test
    void edgeOverlayKeepsTheSqliteFileOnThePersistentVolume() {
        Overlay edge = Overlay.of(EDGE);
        Workload parley = edge.parley();
        Container container = parley.container(PARLEY);
        DatabaseUrl url = DatabaseUrl.parse(edge.env(container, "DATABASE_URL").orElse(null));
        assertThat(url.backend()).as("edge: DATABASE_URL selects SQLite").isEqualTo(DatabaseUrl.Backend.SQLITE);
        assertThat(url.sqlitePath().isAbsolute() && url.sqlitePath().toString().startsWith("/"))
                .as("edge: DATABASE_URL names an absolute path (%s), independent of the image's working directory",
                        url.sqlitePath())
                .isTrue();
        assertThat(parley.claimMountPaths(container))
                .as("edge: the database %s, its WAL and its lock file must live on a volumeClaimTemplate volume",
                        url.sqlitePath())
                .anyMatch(mountPath -> url.sqlitePath().getParent().startsWith(mountPath));
    }

    // --- The renderer itself

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = { "patches: []", "namespace: parley", "commonLabels: {team: parley}",
            "namePrefix: edge-", "configMapGenerator: []", "replicas: [{name: parley, count: 2}]",
            "components: [../component]" })
    void rendererRejectsKustomizationFieldsItDoesNotImplement(String field, @TempDir Path directory)
            throws IOException {
        write(directory.resolve("kustomization.yaml"), """
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                resources: []
                %s
                """.formatted(field));
        assertThatThrownBy(() -> Kustomization.render(directory)).isInstanceOf(Kustomization.Unsupported.class)
                .hasMessageContaining("'" + field.substring(0, field.indexOf(':')) + "'")
                .hasMessageContaining("not supported");
    }

    @Test
    void rendererRejectsRemoteResourcesAndUnknownImageFields(@TempDir Path directory) throws IOException {
        write(directory.resolve("kustomization.yaml"), """
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                resources:
                  - https://github.com/example/manifests//base?ref=v1
                """);
        assertThatThrownBy(() -> Kustomization.render(directory)).isInstanceOf(Kustomization.Unsupported.class)
                .hasMessageContaining("only local files");

        write(directory.resolve("kustomization.yaml"), """
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                images:
                  - name: parley
                    tagSuffix: -native
                """);
        assertThatThrownBy(() -> Kustomization.render(directory)).isInstanceOf(Kustomization.Unsupported.class)
                .hasMessageContaining("'tagSuffix'");
    }

    @Test
    void rendererRetagsImagesOfBasesLikeKustomize(@TempDir Path directory) throws IOException {
        Path base = Files.createDirectories(directory.resolve("base"));
        write(base.resolve("kustomization.yaml"), """
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                resources: [pod.yaml]
                """);
        write(base.resolve("pod.yaml"), """
                apiVersion: v1
                kind: Pod
                metadata: {name: p}
                spec:
                  initContainers: [{name: init, image: "localhost:5000/tools:1"}]
                  containers: [{name: app, image: "app@sha256:0123"}, {name: other, image: "application:2"}]
                """);
        write(directory.resolve("kustomization.yaml"), """
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                resources: [base]
                images:
                  - {name: app, newName: registry.example/app, newTag: "1.2"}
                  - {name: "localhost:5000/tools", digest: "sha256:abcd"}
                """);
        JsonNode pod = Kustomization.render(directory).get(0).path("spec");
        assertThat(pod.path("containers").get(0).path("image").asText()).isEqualTo("registry.example/app:1.2");
        assertThat(pod.path("containers").get(1).path("image").asText()).isEqualTo("application:2");
        assertThat(pod.path("initContainers").get(0).path("image").asText())
                .isEqualTo("localhost:5000/tools@sha256:abcd");
    }

    /** Only where kubectl is installed: the small renderer must print the same objects as the real kustomize. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = { POSTGRES, EDGE })
    void rendererAgreesWithKubectlKustomizeWhereKubectlIsInstalled(String overlay) throws Exception {
        Optional<Path> kubectl = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(dir -> Path.of(dir, "kubectl")).filter(Files::isExecutable).findFirst();
        Assumptions.assumeTrue(kubectl.isPresent(), "kubectl is not installed");
        Process process = new ProcessBuilder(kubectl.get().toString(), "kustomize",
                OVERLAYS.resolve(overlay).toString()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("kubectl kustomize finished").isTrue();
        assertThat(process.exitValue()).as("kubectl kustomize %s:%n%s", overlay, output).isZero();

        Map<String, JsonNode> expected = new TreeMap<>();
        YAMLMapper yaml = new YAMLMapper();
        try (var documents = yaml.readValues(yaml.createParser(output), JsonNode.class)) {
            documents.forEachRemaining(doc -> expected.put(doc.path("kind").asText() + "/"
                    + doc.path("metadata").path("name").asText(), doc));
        }
        Map<String, JsonNode> actual = new TreeMap<>();
        Kustomization.render(OVERLAYS.resolve(overlay)).forEach(doc -> actual.put(doc.path("kind").asText() + "/"
                + doc.path("metadata").path("name").asText(), doc));
        assertThat(actual).isEqualTo(expected);
    }

    // --- Rendering and reading

    /** One rendered overlay as typed objects. */
    record Overlay(String name, List<HasMetadata> objects) {

        static Overlay of(String name) {
            return RENDERED.computeIfAbsent(name, n -> new Overlay(n, Kustomization.render(OVERLAYS.resolve(n))
                    .stream().map(node -> typed(n, node)).toList()));
        }

        private static HasMetadata typed(String overlay, ObjectNode node) {
            String id = node.path("kind").asText() + "/" + node.path("metadata").path("name").asText();
            Object object;
            try {
                object = SERIALIZATION.convertValue(node, KubernetesResource.class);
            } catch (IllegalArgumentException e) {
                throw new AssertionError("k8s/overlays/" + overlay + ": " + id + " does not fit the Kubernetes API"
                        + " model: " + e.getMessage(), e);
            }
            if (!(object instanceof HasMetadata typed)) {
                throw new AssertionError("k8s/overlays/" + overlay + ": " + id + " is not a Kubernetes object");
            }
            return typed;
        }

        List<String> ids() {
            return objects.stream().map(KubernetesManifestsTest::id).toList();
        }

        <T extends HasMetadata> List<T> all(Class<T> type) {
            return objects.stream().filter(type::isInstance).map(type::cast).toList();
        }

        <T extends HasMetadata> Optional<T> find(Class<T> type, String name) {
            return all(type).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst();
        }

        List<Workload> workloads() {
            List<Workload> workloads = new ArrayList<>();
            for (HasMetadata object : objects) {
                if (object instanceof Deployment d) {
                    workloads.add(new Workload(object, d.getSpec().getReplicas(), d.getSpec().getTemplate(),
                            List.of()));
                } else if (object instanceof StatefulSet s) {
                    workloads.add(new Workload(object, s.getSpec().getReplicas(), s.getSpec().getTemplate(),
                            s.getSpec().getVolumeClaimTemplates()));
                } else if (WORKLOAD_KINDS.contains(object.getKind())) {
                    throw new AssertionError(name + ": " + id(object) + " is a workload kind this test does not"
                            + " check yet");
                }
            }
            return workloads;
        }

        /** The one workload running a container named parley. */
        Workload parley() {
            List<Workload> parley = workloads().stream()
                    .filter(w -> w.pod().getContainers().stream().anyMatch(c -> c.getName().equals(PARLEY))).toList();
            assertThat(parley).as("%s: workloads with a container named parley", name).hasSize(1);
            return parley.get(0);
        }

        Optional<String> secretValue(String secret, String key) {
            return find(Secret.class, secret).flatMap(s -> {
                if (s.getStringData() != null && s.getStringData().containsKey(key)) {
                    return Optional.of(s.getStringData().get(key));
                }
                return Optional.ofNullable(s.getData()).map(data -> data.get(key))
                        .map(encoded -> new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8));
            });
        }

        Optional<String> configValue(String configMap, String key) {
            return find(ConfigMap.class, configMap).map(ConfigMap::getData).map(data -> data.get(key));
        }

        /** A container's environment variable as Kubernetes resolves it: env over envFrom, later envFrom wins. */
        Optional<String> env(Container container, String variable) {
            for (EnvVar env : container.getEnv()) {
                if (env.getName().equals(variable)) {
                    if (env.getValueFrom() == null) {
                        return Optional.of(Objects.toString(env.getValue(), ""));
                    }
                    var secretRef = env.getValueFrom().getSecretKeyRef();
                    var configRef = env.getValueFrom().getConfigMapKeyRef();
                    return secretRef != null ? secretValue(secretRef.getName(), secretRef.getKey())
                            : configRef != null ? configValue(configRef.getName(), configRef.getKey())
                                    : Optional.empty();
                }
            }
            List<EnvFromSource> sources = new ArrayList<>(container.getEnvFrom());
            Collections.reverse(sources);
            for (EnvFromSource source : sources) {
                String prefix = Objects.toString(source.getPrefix(), "");
                if (!variable.startsWith(prefix)) {
                    continue;
                }
                String key = variable.substring(prefix.length());
                Optional<String> value = source.getConfigMapRef() != null
                        ? configValue(source.getConfigMapRef().getName(), key)
                        : secretValue(source.getSecretRef().getName(), key);
                if (value.isPresent()) {
                    return value;
                }
            }
            return Optional.empty();
        }
    }

    /** A Deployment or StatefulSet, seen through its pod template. */
    record Workload(HasMetadata object, Integer replicas, PodTemplateSpec template,
            List<PersistentVolumeClaim> claimTemplates) {

        String id() {
            return KubernetesManifestsTest.id(object);
        }

        PodSpec pod() {
            return template.getSpec();
        }

        Map<String, String> labels() {
            return template.getMetadata().getLabels();
        }

        Container container(String name) {
            return pod().getContainers().stream().filter(c -> c.getName().equals(name)).findFirst()
                    .orElseThrow(() -> new AssertionError(id() + " has no container " + name));
        }

        Optional<Volume> volume(String name) {
            return pod().getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst();
        }

        Optional<Volume> mount(Container container, String path) {
            return container.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(path)).findFirst()
                    .flatMap(m -> volume(m.getName()));
        }

        /** Where the container mounts this workload's volumeClaimTemplates. */
        List<Path> claimMountPaths(Container container) {
            Set<String> claims = new HashSet<>();
            claimTemplates.forEach(claim -> claims.add(claim.getMetadata().getName()));
            return container.getVolumeMounts().stream().filter(m -> claims.contains(m.getName()))
                    .map(m -> Path.of(m.getMountPath())).toList();
        }
    }

    private static void checkHttpProbe(Workload workload, Container container, String kind, Probe probe,
            String expectedPath, int appPort, List<String> problems) {
        String where = workload.id() + " container " + container.getName() + " " + kind + ": ";
        if (probe == null || probe.getHttpGet() == null) {
            problems.add(where + "missing, or not an httpGet probe on " + expectedPath);
            return;
        }
        HTTPGetAction get = probe.getHttpGet();
        if (!expectedPath.equals(get.getPath())) {
            problems.add(where + "path " + get.getPath() + ", expected " + expectedPath);
        }
        Integer port = containerPort(container, get.getPort());
        if (port == null || port != appPort) {
            problems.add(where + "port " + show(get.getPort()) + " resolves to " + port
                    + ", but Parley listens on quarkus.http.port " + appPort);
        }
    }

    private static List<Probe> probes(Container container) {
        return Stream.of(container.getStartupProbe(), container.getReadinessProbe(), container.getLivenessProbe())
                .filter(Objects::nonNull).toList();
    }

    private static List<Container> allContainers(PodSpec pod) {
        return Stream.concat(pod.getInitContainers().stream(), pod.getContainers().stream()).toList();
    }

    /** The declared container port a numeric or named port refers to; null if the container declares none. */
    private static Integer containerPort(Container container, IntOrString port) {
        if (port == null) {
            return null;
        }
        return container.getPorts().stream()
                .filter(p -> port.getIntVal() != null ? port.getIntVal().equals(p.getContainerPort())
                        : port.getStrVal().equals(p.getName()))
                .map(ContainerPort::getContainerPort).findFirst().orElse(null);
    }

    /** The default of {@code quarkus.http.port=${PORT:8080}} in application.properties. */
    private static int appHttpPort() {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(Path.of("src/main/resources/application.properties"))) {
            properties.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String value = properties.getProperty("quarkus.http.port", "").trim();
        Matcher matcher = Pattern.compile("\\$\\{PORT:(\\d+)}|(\\d+)").matcher(value);
        if (!matcher.matches()) {
            fail("application.properties: quarkus.http.port='" + value + "', expected ${PORT:<port>} or a number");
        }
        return Integer.parseInt(matcher.group(1) != null ? matcher.group(1) : matcher.group(2));
    }

    /** A duration as Quarkus reads it: {@code 30s}, {@code 500ms}, {@code 1m}, bare seconds, or ISO-8601. */
    static Duration duration(String value) {
        Matcher matcher = Pattern.compile("(\\d+)(ms|s|m|h|d)?").matcher(value.trim());
        if (!matcher.matches()) {
            return Duration.parse(value.trim());
        }
        long amount = Long.parseLong(matcher.group(1));
        return switch (Objects.toString(matcher.group(2), "s")) {
            case "ms" -> Duration.ofMillis(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            case "d" -> Duration.ofDays(amount);
            default -> Duration.ofSeconds(amount);
        };
    }

    private static boolean matches(Map<String, String> selector, Map<String, String> labels) {
        return selector != null && labels != null && labels.entrySet().containsAll(selector.entrySet());
    }

    private static boolean matches(LabelSelector selector, Map<String, String> labels) {
        if (selector == null || !matches(Objects.requireNonNullElse(selector.getMatchLabels(), Map.of()), labels)) {
            return false;
        }
        for (LabelSelectorRequirement requirement : selector.getMatchExpressions()) {
            String value = labels.get(requirement.getKey());
            boolean ok = switch (requirement.getOperator()) {
                case "In" -> requirement.getValues().contains(value);
                case "NotIn" -> !requirement.getValues().contains(value);
                case "Exists" -> value != null;
                case "DoesNotExist" -> value == null;
                default -> throw new AssertionError("unknown selector operator " + requirement.getOperator());
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** An absolute count, or a percentage of {@code replicas} rounded up, as the disruption controller does. */
    private static int scaled(IntOrString value, int replicas) {
        if (value.getIntVal() != null) {
            return value.getIntVal();
        }
        int percent = Integer.parseInt(value.getStrVal().replace("%", ""));
        return (int) Math.ceil(replicas * percent / 100.0);
    }

    private static BigDecimal amount(Quantity quantity) {
        return Quantity.getAmountInBytes(quantity);
    }

    /**
     * Every field the fabric8 model could not map lands in an {@code additionalProperties} map; none may exist, or the
     * API server would reject or silently drop it.
     */
    private static void collectUnknownFields(Object value, String path, List<String> problems) {
        if (value instanceof Collection<?> items) {
            int index = 0;
            for (Object item : items) {
                collectUnknownFields(item, path + "[" + index++ + "]", problems);
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            map.forEach((key, child) -> collectUnknownFields(child, path + "." + key, problems));
            return;
        }
        if (value == null || !value.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method getter : value.getClass().getMethods()) {
            Class<?> type = getter.getReturnType();
            boolean model = type.getName().startsWith("io.fabric8.kubernetes.api.model")
                    || Collection.class.isAssignableFrom(type) || Map.class.isAssignableFrom(type);
            if (!model || getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
                    || !getter.getName().startsWith("get")) {
                continue;
            }
            Object child;
            try {
                child = getter.invoke(value);
            } catch (IllegalAccessException | InvocationTargetException e) {
                problems.add(path + ": cannot read " + getter.getName() + " (" + e + ")");
                continue;
            }
            if (getter.getName().equals("getAdditionalProperties")) {
                if (child instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    problems.add(path + ": unknown field(s) " + extra.keySet());
                }
            } else {
                String field = getter.getName().substring(3);
                collectUnknownFields(child, path + "." + Character.toLowerCase(field.charAt(0)) + field.substring(1),
                        problems);
            }
        }
    }

    private static void assertNoProblems(String overlay, String topic, List<String> problems) {
        if (!problems.isEmpty()) {
            fail("k8s/overlays/" + overlay + ", " + topic + ":\n  " + String.join("\n  ", problems));
        }
    }

    private static String missing(Optional<? extends HasMetadata> holder) {
        return holder.isPresent() ? ", which has no such key" : ", which is not rendered";
    }

    private static String id(HasMetadata object) {
        return object.getKind() + "/" + object.getMetadata().getName();
    }

    private static String show(IntOrString port) {
        return port == null ? "null" : port.getIntVal() != null ? port.getIntVal().toString() : port.getStrVal();
    }

    @SafeVarargs
    private static <T> T first(T... candidates) {
        return Stream.of(candidates).filter(Objects::nonNull).findFirst().orElse(null);
    }

    private static void write(Path file, String content) throws IOException {
        Files.writeString(file, content, StandardCharsets.UTF_8);
    }
}
