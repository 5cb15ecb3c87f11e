package api

// operations is the table of GameLift operations this server answers. Both
// protocols route into it by operation name.
func (s *Server) operations() map[string]operation {
	return map[string]operation{
		// Custom locations.
		"CreateLocation": op(s.createLocation),
		"ListLocations":  op(s.listLocations),
		"DeleteLocation": op(s.deleteLocation),
		// Fleets.
		"CreateFleet":                     op(s.createFleet),
		"DescribeFleetAttributes":         op(s.describeFleetAttributes),
		"UpdateFleetAttributes":           op(s.updateFleetAttributes),
		"DeleteFleet":                     op(s.deleteFleet),
		"ListFleets":                      op(s.listFleets),
		"CreateFleetLocations":            op(s.createFleetLocations),
		"DeleteFleetLocations":            op(s.deleteFleetLocations),
		"DescribeFleetLocationAttributes": op(s.describeFleetLocationAttributes),
		"DescribeFleetCapacity":           op(s.describeFleetCapacity),
		"DescribeFleetUtilization":        op(s.describeFleetUtilization),
		// Computes.
		"RegisterCompute":     op(s.registerCompute),
		"DeregisterCompute":   op(s.deregisterCompute),
		"ListCompute":         op(s.listCompute),
		"DescribeCompute":     op(s.describeCompute),
		"GetComputeAuthToken": op(s.getComputeAuthToken),
		// Game sessions.
		"CreateGameSession":          op(s.createGameSession),
		"DescribeGameSessions":       op(s.describeGameSessions),
		"DescribeGameSessionDetails": op(s.describeGameSessionDetails),
		"UpdateGameSession":          op(s.updateGameSession),
		"TerminateGameSession":       op(s.terminateGameSession),
		"SearchGameSessions":         op(s.searchGameSessions),
		// Player sessions.
		"CreatePlayerSession":    op(s.createPlayerSession),
		"CreatePlayerSessions":   op(s.createPlayerSessions),
		"DescribePlayerSessions": op(s.describePlayerSessions),
		// Aliases.
		"CreateAlias":   op(s.createAlias),
		"DescribeAlias": op(s.describeAlias),
		"ListAliases":   op(s.listAliases),
		"UpdateAlias":   op(s.updateAlias),
		"ResolveAlias":  op(s.resolveAlias),
		"DeleteAlias":   op(s.deleteAlias),
		// Queues and placements.
		"CreateGameSessionQueue":       op(s.createGameSessionQueue),
		"DescribeGameSessionQueues":    op(s.describeGameSessionQueues),
		"UpdateGameSessionQueue":       op(s.updateGameSessionQueue),
		"DeleteGameSessionQueue":       op(s.deleteGameSessionQueue),
		"StartGameSessionPlacement":    op(s.startGameSessionPlacement),
		"DescribeGameSessionPlacement": op(s.describeGameSessionPlacement),
		"StopGameSessionPlacement":     op(s.stopGameSessionPlacement),
		// Matchmaking: rule sets, configurations, tickets and backfill.
		// GameLift has no StopMatchBackfill: StopMatchmaking stops
		// backfill tickets too.
		"CreateMatchmakingRuleSet":          op(s.createMatchmakingRuleSet),
		"ValidateMatchmakingRuleSet":        op(s.validateMatchmakingRuleSet),
		"DescribeMatchmakingRuleSets":       op(s.describeMatchmakingRuleSets),
		"DeleteMatchmakingRuleSet":          op(s.deleteMatchmakingRuleSet),
		"CreateMatchmakingConfiguration":    op(s.createMatchmakingConfiguration),
		"DescribeMatchmakingConfigurations": op(s.describeMatchmakingConfigurations),
		"UpdateMatchmakingConfiguration":    op(s.updateMatchmakingConfiguration),
		"DeleteMatchmakingConfiguration":    op(s.deleteMatchmakingConfiguration),
		"StartMatchmaking":                  op(s.startMatchmaking),
		"DescribeMatchmaking":               op(s.describeMatchmaking),
		"StopMatchmaking":                   op(s.stopMatchmaking),
		"AcceptMatch":                       op(s.acceptMatch),
		"StartMatchBackfill":                op(s.startMatchBackfill),
		// rallypoint extensions: notification targets (webhooks that
		// stand in for the SNS topics of NotificationTarget ARNs).
		"CreateNotificationTarget":    op(s.createNotificationTarget),
		"DescribeNotificationTargets": op(s.describeNotificationTargets),
		"UpdateNotificationTarget":    op(s.updateNotificationTarget),
		"DeleteNotificationTarget":    op(s.deleteNotificationTarget),
	}
}
