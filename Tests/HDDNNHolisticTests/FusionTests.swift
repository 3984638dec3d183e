import Foundation
import HDDNNHolistic
import Testing

/// The arithmetic of fusion, on numbers worked out by hand.
struct FusionTests {
    @Test func averageAndMaxOfTwoMembers() throws {
        let a: [Float] = [0.6, 0.3, 0.1, 0.2, 0.2, 0.6]
        let b: [Float] = [0.2, 0.7, 0.1, 0.1, 0.1, 0.8]
        let avg = try Fusion.combine([a, b], classes: 3, method: .average)
        #expect(zip(avg, [0.4, 0.5, 0.1, 0.15, 0.15, 0.7] as [Float]).allSatisfy { abs($0 - $1) < 1e-6 })
        // max: (0.6, 0.7, 0.1) / 1.4 and (0.2, 0.2, 0.8) / 1.2
        let max = try Fusion.combine([a, b], classes: 3, method: .max)
        let expected: [Float] = [0.6 / 1.4, 0.7 / 1.4, 0.1 / 1.4, 0.2 / 1.2, 0.2 / 1.2, 0.8 / 1.2]
        #expect(zip(max, expected).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(Fusion.argmax(avg, classes: 3) == [1, 2])
    }

    @Test func softmaxIsStableAndCoarseSumsItsGroups() {
        let p = Fusion.probabilities(logits: [1000, 1000, 0, 0], classes: 2)
        #expect(p == [0.5, 0.5, 0.5, 0.5])
        // Fine classes 0, 2 -> coarse 0; 1 -> coarse 1.
        let coarse = Fusion.coarse([0.2, 0.5, 0.3], classes: 3, fineToCoarse: [0, 1, 0], coarseClasses: 2)
        #expect(abs(coarse[0] - 0.5) < 1e-6 && abs(coarse[1] - 0.5) < 1e-6)
    }

    @Test func refusalsNameTheProblem() {
        #expect(throws: HolisticError.self) { try Fusion.combine([], classes: 2, method: .average) }
        #expect(throws: HolisticError.self) { try Fusion.combine([[0.5, 0.5], [1, 0, 0, 1]], classes: 2, method: .average) }
        #expect(throws: HolisticError.self) { try Fusion.combine([[0.5, 0.5]], classes: 2, method: .stacker) }
    }

    /// Member a is right but unsure (0.4 on the true class, the rest at random); member b is
    /// sure and systematically off by one class. Averaging follows b's confidence and is wrong;
    /// the stacker learns what b's answers mean and beats both members and their average.
    @Test func theStackerLearnsWhatEachMemberMeans() throws {
        var a: [Float] = [], b: [Float] = [], labels: [Int] = []
        var seed: UInt64 = 7
        func random() -> Float { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Float(seed >> 40) / Float(1 << 24) }
        for i in 0..<400 {
            let y = i % 4
            labels.append(y)
            var unsure: [Float] = (0..<4).map { $0 == y ? 0.4 : random() * 0.6 }
            unsure = unsure.map { $0 / unsure.reduce(0, +) }
            a += unsure
            b += (0..<4).map { $0 == (y + 1) % 4 ? 0.9 : 0.1 / 3 }
        }
        let stacker = Stacker.fit([a, b], labels: labels, classes: 4)
        let fused = try Fusion.combine([a, b], classes: 4, method: .stacker, stacker: stacker)
        let score = FusionTable.Score.measure(fused, labels: labels, classes: 4)
        let alone = FusionTable.Score.measure(a, labels: labels, classes: 4)
        let averaged = FusionTable.Score.measure(try Fusion.combine([a, b], classes: 4, method: .average), labels: labels, classes: 4)
        #expect(score.accuracy > 0.97, "stacker \(score.accuracy)")
        #expect(score.accuracy > alone.accuracy && alone.accuracy > averaged.accuracy,
                "stacker \(score.accuracy), a alone \(alone.accuracy), average \(averaged.accuracy)")
        // Fitted weights travel with the table and give the same answer.
        let decoded = try JSONDecoder().decode(Stacker.self, from: JSONEncoder().encode(stacker))
        #expect(try Fusion.combine([a, b], classes: 4, method: .stacker, stacker: decoded) == fused)
    }

    @Test func areaUnderROCByHand() {
        // Positives 0.35, 0.8; negatives 0.1, 0.4: 3 of 4 pairs ordered right.
        #expect(FusionTable.Score.areaUnderROC(scores: [0.1, 0.4, 0.35, 0.8], labels: [0, 0, 1, 1]) == 0.75)
        #expect(FusionTable.Score.areaUnderROC(scores: [0.5, 0.5], labels: [0, 1]) == 0.5)
        #expect(FusionTable.Score.areaUnderROC(scores: [0.5, 0.5], labels: [1, 1]) == nil)
    }
}
