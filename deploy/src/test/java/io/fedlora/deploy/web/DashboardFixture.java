package io.fedlora.deploy.web;

/** The API answers PagesOnlyServer gives: one running job with two rounds, three nodes, a short audit log. */
final class DashboardFixture {

    private DashboardFixture() {}

    static String job(String state) {
        return """
                {"id":"job-1","name":"triage-notes","state":"%s","roundsDone":2,"rounds":10,"trainLoss":0.8123,
                 "evalMetric":0.41,"epsilonSpent":1.25,"epsilonBudget":8.0,
                 "secagg":{"enabled":true,"k":3,"t":2,"dropout":0.25},"aggregation":"exact","strategy":"fedavg"}
                """.formatted(state);
    }

    static String round(int round, String loss, String eval, String epsilon) {
        return """
                {"round":%d,"state":"completed","startedAt":"2026-12-07T06:0%d:00Z","endedAt":"2026-12-07T06:0%d:40Z",
                 "selected":["node-1","node-2","node-3","node-4"],"contributors":["node-1","node-2","node-3"],
                 "dropped":[{"node":"node-4","stage":"masked-input"}],
                 "stageMs":{"advertise-keys":120,"share-keys":340,"masked-input":31000,"unmask":210},
                 "trainMs":30500,"otherMs":1900,"abortReason":null,"adapterVersion":%d,
                 "sha256":"9f2c4e1b7a0d3c5e8f6a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6",
                 "trainLoss":%s,"evalMetric":%s,"epsilon":%s}
                """.formatted(round, round, round, round, loss, eval, epsilon);
    }

    static String actions(String role, String state) {
        if (role.equals("viewer")) {
            return "[]";
        }
        return state.equals("running") ? "[\"pause\",\"cancel\"]" : "[\"resume\",\"cancel\"]";
    }

    static String jobDetail(String state, String actions) {
        String job = job(state).strip();
        return job.substring(0, job.length() - 1).replace("\"rounds\":10", "\"totalRounds\":10") + """
                ,"rounds":[%s,%s],
                 "versions":[{"version":1,"sha256":"1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7","bytes":184320,
                   "createdAt":"2026-12-07T06:01:40Z"},
                  {"version":2,"sha256":"9f2c4e1b7a0d3c5e8f6a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6","bytes":184320,
                   "createdAt":"2026-12-07T06:02:40Z"}],
                 "actions":%s}
                """.formatted(round(1, "1.2034", "0.22", "0.61"), round(2, "0.8123", "0.41", "1.25"), actions);
    }

    static final String NODES = """
            {"nodes":[
             {"id":"node-1","name":"hospital-a","connected":true,"lastSeen":"2026-12-07T06:02:41Z",
              "certificateExpiry":"2027-03-07T00:00:00Z","baseModelSha256":["ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12"],
              "device":"cuda","revoked":false},
             {"id":"node-2","name":"hospital-b","connected":true,"lastSeen":"2026-12-07T06:02:40Z",
              "certificateExpiry":"2027-03-07T00:00:00Z","baseModelSha256":["ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12"],
              "device":"cpu","revoked":false},
             {"id":"node-3","name":"clinic-c","connected":false,"lastSeen":"2026-12-07T05:40:02Z",
              "certificateExpiry":"2027-01-02T00:00:00Z","baseModelSha256":["ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12"],
              "device":"cpu","revoked":false}]}
            """;

    static final String PRIVACY = """
            {"jobId":"job-1","epsilonSpent":null,"epsilonBudget":null,"nodes":{
             "node-1":{"dp_epsilon_job":1.25,"dp_epsilon_overall":2.5},"node-2":{"dp_epsilon_job":1.25,"dp_epsilon_overall":1.25},
             "node-3":{"dp_epsilon_job":0.61,"dp_epsilon_overall":0.61}}}
            """;

    static final String LOG = """
            {"lines":[{"time":"2026-12-07T06:01:00Z","level":"INFO","message":"round 1: selected 4 nodes"},
             {"time":"2026-12-07T06:01:38Z","level":"WARN","message":"round 1: node-4 dropped at masked-input"},
             {"time":"2026-12-07T06:01:40Z","level":"INFO","message":"round 1: published adapter v1"}]}
            """;

    static final String AUDIT = """
            {"records":[
             {"time":"2026-12-07T06:00:00Z","actor":"admin-alice","action":"CREATE_JOB","target":"job-1","outcome":"ok"},
             {"time":"2026-12-07T06:00:02Z","actor":"admin-alice","action":"START_JOB","target":"job-1","outcome":"ok"},
             {"time":"2026-12-07T06:03:10Z","actor":"viewer-bob","action":"PAUSE_JOB","target":"job-1","outcome":"refused",
              "detail":"needs role operator"}],
             "total":3,"chainValid":true}
            """;
}
