import HDDNNCluster
import HDDNNScheduling
import Testing

/// The schemes' equations (paper eq. 1-11) on figures worked by hand.
@Suite struct SchemeTests {
    // 200 tasks; 8 end devices at 0.1 + 0.3 s a task; 4 edge devices at 0.5 + 0.7; 1 cloud at 1 + 0.2.
    let costs = CostModel(
        batch: 50, tasks: 200,
        end: .init(nodes: 8, communication: 0.1, processing: 0.3, accuracy: 0.98),
        edge: .init(nodes: 4, communication: 0.5, processing: 0.7, accuracy: 0.94),
        cloud: .init(nodes: 1, communication: 1.0, processing: 0.2, accuracy: 0.96))
    let layout = ClusterLayout(end: (1...8).map { "end-\($0)" }, edge: (1...4).map { "edge-\($0)" }, cloud: ["cloud"])

    @Test func endAndTwoTierSchemes() {
        // Eq. 1: 200 / 8 x 0.4 = 10.
        #expect(abs(EndScheme().predict(costs).finishSeconds - 10) < 1e-9)
        #expect(EndScheme().predict(costs).fineAccuracy == nil)
        // Eq. 3: 10 + 200 / 1 x 1.2 = 250; eq. 4: p_cloud.
        #expect(abs(EndCloudScheme().predict(costs).finishSeconds - 250) < 1e-9)
        #expect(EndCloudScheme().predict(costs).fineAccuracy == 0.96)
        // Eq. 5: 10 + 200 / 4 x 1.2 = 70; eq. 6: p_edge.
        #expect(abs(EndEdgeScheme().predict(costs).finishSeconds - 70) < 1e-9)
        #expect(EndEdgeScheme().predict(costs).fineAccuracy == 0.94)
        // Sequential order over the upper tier.
        #expect((0..<6).map { EndEdgeScheme().upperNode(task: $0, endDevice: 0, layout: layout) } == ["edge-1", "edge-2", "edge-3", "edge-4", "edge-1", "edge-2"])
        #expect(EndScheme().upperNode(task: 3, endDevice: 2, layout: layout) == nil)
    }

    @Test func mappingFollowsEquations7To11() {
        // Eq. 7: ceil(1.2 / 0.4) = 3.
        let mapping = MappingScheme(costs: costs)
        #expect(mapping.nmap == 3 && mapping.nmapFromEquation)
        // Eq. 8: (8 - 4 x 3) / 8 < 0, clamped to 0: every end device maps to an edge device.
        #expect(mapping.thetaCloud(endDevices: 8, edgeDevices: 4, hasCloud: true) == 0)
        #expect((0..<8).map { mapping.upperNode(task: 0, endDevice: $0, layout: layout) }
                == ["edge-1", "edge-1", "edge-1", "edge-2", "edge-2", "edge-2", "edge-3", "edge-3"])

        // The paper's set-up: N_map = 1, so end devices 5-8 go to the cloud.
        let paper = MappingScheme(costs: costs, nmap: 1)
        let theta = paper.thetaCloud(endDevices: 8, edgeDevices: 4, hasCloud: true)
        #expect(theta == 0.5)
        #expect((0..<8).map { paper.upperNode(task: 0, endDevice: $0, layout: layout) }
                == ["edge-1", "edge-2", "edge-3", "edge-4", "cloud", "cloud", "cloud", "cloud"])
        let p = paper.predict(costs)
        // Eq. 10: 0.5 x 0.96 + 0.5 x 0.94; eq. 11: 0.5 x 250 + 0.5 x 70.
        #expect(abs(p.fineAccuracy! - 0.95) < 1e-12)
        #expect(abs(p.finishSeconds - 160) < 1e-9)
        // With fewer end devices than edge devices Mapping is End-Edge (Table 3: equal accuracy up to 4).
        #expect(paper.thetaCloud(endDevices: 3, edgeDevices: 4, hasCloud: true) == 0)
        #expect(abs(paper.thetaCloud(endDevices: 6, edgeDevices: 4, hasCloud: true) - 1.0 / 3) < 1e-12)
    }

    @Test func earliestFinishUsesIdleNodesAndKeepsMappingsCloudShare() {
        let ef = EarliestFinishScheme(costs: costs, nmap: 1)
        // 2 end devices: Mapping's θ_cloud is 0. Idle start: equal edge devices share the work.
        let two = ClusterLayout(end: ["end-1", "end-2"], edge: layout.edge, cloud: ["cloud"])
        #expect(ef.upperNode(task: 0, endDevice: 0, layout: two, load: UpperLoad()) == "edge-1")
        #expect(ef.upperNode(task: 1, endDevice: 0, layout: two, load: UpperLoad()) == "edge-2")
        // Every edge device holding 3 requests: edge 0.5 + 0.7 x 4 = 3.3 s > cloud 1.0 + 0.2 = 1.2 s.
        let busy = UpperLoad(outstanding: Dictionary(uniqueKeysWithValues: layout.edge.map { ($0, 3) }),
                             assigned: Dictionary(uniqueKeysWithValues: layout.edge.map { ($0, 3) }))
        #expect(ef.upperNode(task: 12, endDevice: 0, layout: two, load: busy) == "cloud")
        // 8 end devices: θ_cloud = 0.5, so the cloud takes a task whenever it has had less than half.
        let behind = UpperLoad(outstanding: [:], assigned: ["edge-1": 3, "cloud": 1])
        #expect(ef.upperNode(task: 4, endDevice: 0, layout: layout, load: behind) == "cloud")
        let ahead = UpperLoad(outstanding: ["cloud": 1], assigned: ["edge-1": 1, "cloud": 3])
        #expect(ef.upperNode(task: 4, endDevice: 0, layout: layout, load: ahead)?.hasPrefix("edge") == true)
    }

    @Test func schemeKindsNameWhatTheyNeed() {
        #expect(SchemeKind.endCloud.needs == [.cloud])
        #expect(SchemeKind(rawValue: "end-edge") == .endEdge)
        #expect(SchemeKind.mapping.make(costs: costs, nmap: 2).name == "Mapping")
    }

    @Test func escalationPredictsTheEdgePhaseThenOneCloudExchange() {
        var c = costs
        c.escalatedShare = 0.25
        let scheme = EscalationScheme(threshold: 0.1)
        let p = scheme.predict(c)
        // T_End-Edge = 70 (eq. 5); the cloud's share, 10 + 200 x 0.25 x 0.2 = 20, fits inside it;
        // then one escalation: t_c 1.0 + 0.25 x 0.2.
        #expect(abs(p.finishSeconds - 71.05) < 1e-9)
        #expect(abs(p.fineAccuracy! - (0.75 * 0.94 + 0.25 * 0.96)) < 1e-12)
        #expect(scheme.escalationThreshold == 0.1 && EndEdgeScheme().escalationThreshold == nil)
        // The edge device holding the fewest requests; ties rotate with the task.
        let load = UpperLoad(outstanding: ["edge-1": 2, "edge-2": 0, "edge-3": 1, "edge-4": 0])
        #expect(scheme.upperNode(task: 0, endDevice: 0, layout: layout, load: load) == "edge-2")
        #expect(scheme.upperNode(task: 2, endDevice: 0, layout: layout, load: load) == "edge-4")
        #expect(SchemeKind.escalate.requires == [.edge] && SchemeKind.escalate.needs == [.edge, .cloud])
    }
}
